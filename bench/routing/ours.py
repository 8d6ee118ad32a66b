"""The contact center of the benchmarks in the real router's tables, and the double-assignment
check over its reservation history. Runs inside a child process after ``django.setup()``."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Sequence
from typing import Any

from django.db import connection, transaction

from bench.routing.common import LANGUAGES, STEP1_LEVEL, STEP1_TIMEOUT, OperatorSpec
from qoldau.accounts.models import User
from qoldau.core import clock, events
from qoldau.routing import services
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

BATCH = 1000
UNUSABLE = "!"  # no one signs in as a benchmark operator


def seed(specs: Sequence[OperatorSpec], competences: int, *, expert_step: bool = True) -> None:
    """Competences ``s000``…, one queue per language (``language == "kk"``) with two steps (the
    task's competence at level ≥ 2 for 30 s, then any member with the language), every
    operator available and a member of the queues of the languages they speak."""
    now = clock.now()
    skills = Skill.objects.bulk_create(
        [
            Skill(code=f"s{n:03d}", name_kk=f"s{n:03d}", name_ru=f"s{n:03d}")
            for n in range(competences)
        ]
    )
    queues: dict[str, Queue] = {}
    for language in LANGUAGES:
        queue = Queue.objects.create(
            code=f"voice-{language}",
            name_kk=language,
            name_ru=language,
            match=f'language == "{language}"',
        )
        if expert_step:
            QueueStep.objects.create(
                queue=queue,
                order=1,
                skill_mode="service",
                min_skill_level=STEP1_LEVEL,
                timeout_seconds=STEP1_TIMEOUT,
            )
            QueueStep.objects.create(queue=queue, order=2, skill_mode="any")
        else:
            QueueStep.objects.create(queue=queue, order=1, skill_mode="service", min_skill_level=1)
        queues[language] = queue
    users = User.objects.bulk_create(
        [User(username=f"bench-op{s.number:05d}", password=UNUSABLE) for s in specs],
        batch_size=BATCH,
    )
    ops = Operator.objects.bulk_create(
        [
            Operator(
                user=user,
                extension=str(10000 + s.number),
                presence=Presence.AVAILABLE,
                presence_since=now,
                idle_since=now - dt.timedelta(seconds=s.idle_seconds),
            )
            for user, s in zip(users, specs, strict=True)
        ],
        batch_size=BATCH,
    )
    OperatorSkill.objects.bulk_create(
        [
            OperatorSkill(operator=op, skill=skills[skill], level=level, granted_at=now)
            for op, s in zip(ops, specs, strict=True)
            for skill, level in s.skills.items()
        ],
        batch_size=BATCH,
    )
    OperatorLanguage.objects.bulk_create(
        [
            OperatorLanguage(operator=op, language=lang, level=level)
            for op, s in zip(ops, specs, strict=True)
            for lang, level in s.languages.items()
        ],
        batch_size=BATCH,
    )
    QueueMember.objects.bulk_create(
        [
            QueueMember(queue=queues[lang], operator=op, added_at=now)
            for op, s in zip(ops, specs, strict=True)
            for lang in s.languages
        ],
        batch_size=BATCH,
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    services.queue_plans_forget()


def operator_ids() -> list[int]:
    """Operator primary keys in the order of the specs."""
    return list(Operator.objects.order_by("user__username").values_list("pk", flat=True))


class Offers:
    """Collects the reservations the router makes in the current thread (``routing.offered``)."""

    def __init__(self) -> None:
        self._local = threading.local()
        events.subscribe("routing.offered", self._on_offer)

    def _on_offer(self, *, reservation: Any, task: Any, **_: Any) -> None:
        made: list[tuple[str, int]] | None = getattr(self._local, "made", None)
        if made is not None:
            made.append((task.ref, reservation.operator_id))

    def start(self) -> None:
        self._local.made = []

    def take(self) -> list[tuple[str, int]]:
        made: list[tuple[str, int]] = self._local.made
        self._local.made = None
        return made


def double_assignments() -> dict[str, int]:
    """From the reservation history (not the constraints): tasks with two open reservations at
    once, operators with two open calls at once, and tasks answered by two operators.

    A reservation is open from ``offered_at`` until ``responded_at`` when it is closed
    (rejected, timed out, canceled, completed: each sets ``responded_at`` when it closes), and
    still open if pending or accepted."""
    far = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)
    span = """
        WITH r AS (
            SELECT id, task_id, operator_id, channel, offered_at AS s,
                   CASE WHEN state IN ('pending', 'accepted') THEN %s ELSE responded_at END AS e
            FROM routing_reservation
        )
    """
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            span + "SELECT count(*) FROM r a JOIN r b ON a.task_id = b.task_id AND a.id < b.id "
            "AND a.s < b.e AND b.s < a.e",
            [far],
        )
        tasks = int(cursor.fetchone()[0])
        cursor.execute(
            span + "SELECT count(*) FROM r a JOIN r b ON a.operator_id = b.operator_id "
            "AND a.id < b.id AND a.channel = 'voice' AND b.channel = 'voice' "
            "AND a.s < b.e AND b.s < a.e",
            [far],
        )
        operators = int(cursor.fetchone()[0])
        cursor.execute(
            "SELECT count(*) FROM (SELECT task_id FROM routing_reservation "
            "WHERE state IN ('accepted', 'completed') GROUP BY task_id "
            "HAVING count(DISTINCT operator_id) > 1) t"
        )
        answered_twice = int(cursor.fetchone()[0])
        cursor.execute("SELECT count(*) FROM routing_reservation")
        reservations = int(cursor.fetchone()[0])
    return {
        "reservations": reservations,
        "task_overlaps": tasks,
        "operator_overlaps": operators,
        "answered_twice": answered_twice,
    }
