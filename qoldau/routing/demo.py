"""Demo data of work distribution: competences for the demo services, queues by language with
a fallback step, simulated operators ("bots") for the traffic simulator, and the demo
operator's own profile (docs/telephony.md)."""

from __future__ import annotations

import random
import secrets

from django.db import transaction

from qoldau.accounts.enums import Role
from qoldau.accounts.models import User
from qoldau.accounts.services import user_create
from qoldau.core import clock
from qoldau.registry.enums import OrganisationKind
from qoldau.registry.models import Organisation, PublicService
from qoldau.routing.enums import Presence
from qoldau.routing.models import (
    Operator,
    OperatorLanguage,
    OperatorSkill,
    Queue,
    QueueMember,
    QueueStep,
    Skill,
)

BOT_PREFIX = "bot."
# Synthetic names of the simulated operators: (first, last, languages with levels).
BOTS: tuple[tuple[str, str, dict[str, int]], ...] = (
    ("Асель", "Нұрланова", {"kk": 5, "ru": 5}),
    ("Бауыржан", "Әлиев", {"kk": 5, "ru": 4}),
    ("Гүлнара", "Тоқтарова", {"kk": 5, "ru": 5}),
    ("Дмитрий", "Ким", {"ru": 5, "kk": 2}),
    ("Ержан", "Сәрсенбаев", {"kk": 5, "ru": 4}),
    ("Жанар", "Исаева", {"kk": 4, "ru": 5}),
    ("Ирина", "Петренко", {"ru": 5}),
    ("Қайрат", "Жұмабеков", {"kk": 5, "ru": 3}),
    ("Ләззат", "Оспанова", {"kk": 5, "ru": 5}),
    ("Марат", "Бекенов", {"ru": 5, "kk": 4}),
    ("Нұргүл", "Серікова", {"kk": 5, "ru": 4}),
    ("Ольга", "Сидоренко", {"ru": 5, "kk": 3}),
)
TOPICS = (
    (
        "eds",
        "Электрондық цифрлық қолтаңба (ЭЦҚ)",
        "Электронная цифровая подпись (ЭЦП)",
        "Digital signature (EDS)",
    ),
    (
        "egov",
        "eGov порталы және мобильді қосымша",
        "Портал и мобильное приложение eGov",
        "The eGov portal and app",
    ),
)
# code, kk, ru, en, rule, order
QUEUES = (
    ("kk", "Қазақ тіліндегі қоңыраулар", "Звонки на казахском", "Calls in Kazakh",
     'language == "kk"', 10),
    ("ru", "Орыс тіліндегі қоңыраулар", "Звонки на русском", "Calls in Russian",
     'language == "ru"', 20),
    ("eds", "ЭЦҚ мамандары", "Специалисты по ЭЦП", "Digital signature experts",
     'skill == "eds"', 5),
    ("general", "Жалпы кезек", "Общая очередь", "General queue", "", 100),
)  # fmt: skip


def _skills() -> list[Skill]:
    made: list[Skill] = []
    for code, kk, ru, en in TOPICS:
        skill, _c = Skill.objects.get_or_create(
            code=code, defaults={"name_kk": kk, "name_ru": ru, "name_en": en}
        )
        made.append(skill)
    for service in PublicService.objects.order_by("register_number")[:12]:
        skill, _c = Skill.objects.get_or_create(
            service=service,
            defaults={
                "code": f"svc-{service.register_number}".lower()[:60],
                "name_kk": service.name_kk[:300],
                "name_ru": service.name_ru[:300],
                "name_en": (service.name_en or "")[:300],
            },
        )
        made.append(skill)
    return made


def _queue(code: str, kk: str, ru: str, en: str, match: str, priority: int) -> Queue:
    queue, created = Queue.objects.get_or_create(
        code=code,
        defaults={
            "name_kk": kk,
            "name_ru": ru,
            "name_en": en,
            "match": match,
            "priority": priority,
        },
    )
    if created:
        if code == "eds":
            QueueStep.objects.create(queue=queue, order=1, skill_mode="any", language_mode="any")
        else:
            # Experts in the caller's service who speak the language; after 20 seconds anyone
            # with the language (the example of issue 5, and Rules p.7's 30 seconds in mind).
            QueueStep.objects.create(
                queue=queue, order=1, min_skill_level=3, min_language_level=3, timeout_seconds=20
            )
            QueueStep.objects.create(
                queue=queue,
                order=2,
                skill_mode="any",
                min_language_level=3,
                members_only=False,
            )
    return queue


def load_demo_routing() -> int:
    """Create the routing demo once; returns the number of operators with a profile."""
    if Queue.objects.exists():
        return Operator.objects.count()
    rng = random.Random(1414)  # noqa: S311 (demo data, not secrets)
    ucc = Organisation.objects.filter(kind=OrganisationKind.UCC).first()
    now = clock.now()
    with transaction.atomic():
        skills = _skills()
        queues = {row[0]: _queue(*row) for row in QUEUES}
        people: list[tuple[User, dict[str, int], str]] = []
        for n, (first, last, languages) in enumerate(BOTS, start=1):
            username = f"{BOT_PREFIX}{n:02d}"
            user = User.objects.filter(username=username).first() or user_create(
                username=username,
                password=secrets.token_urlsafe(24),
                organisation_id=ucc.pk if ucc else None,
                roles=[Role.OPERATOR],
                first_name=first,
                last_name=last,
                language="kk" if languages.get("kk", 0) >= 4 else "ru",
            )
            people.append((user, languages, str(2000 + n)))
        human = User.objects.filter(username="operator").first()
        if human is not None:
            people.append((human, {"kk": 5, "ru": 5}, "1001"))
        for user, languages, extension in people:
            is_bot = user.username.startswith(BOT_PREFIX)
            operator, _c = Operator.objects.get_or_create(
                user=user,
                defaults={
                    "extension": extension,
                    "presence": Presence.AVAILABLE if is_bot else Presence.OFFLINE,
                    "presence_since": now,
                    "idle_since": now,
                },
            )
            for language, level in languages.items():
                OperatorLanguage.objects.get_or_create(
                    operator=operator, language=language, defaults={"level": level}
                )
                if level >= 3 and language in queues:
                    QueueMember.objects.get_or_create(
                        queue=queues[language], operator=operator, defaults={"added_at": now}
                    )
            for skill in rng.sample(skills, k=min(len(skills), rng.randint(3, 7))):
                OperatorSkill.objects.get_or_create(
                    operator=operator,
                    skill=skill,
                    defaults={"level": rng.randint(2, 5), "granted_at": now},
                )
            if OperatorSkill.objects.filter(operator=operator, skill__code="eds").exists():
                QueueMember.objects.get_or_create(
                    queue=queues["eds"], operator=operator, defaults={"added_at": now}
                )
    return Operator.objects.count()
