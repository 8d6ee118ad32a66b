"""Demo appeals in Kazakh and Russian across channels, registered through the same services."""

from __future__ import annotations

from typing import Any

from qoldau.appeals.models import Appeal
from qoldau.appeals.services import appeal_register
from qoldau.registry.models import PublicService

DEMO: list[dict[str, Any]] = [
    {
        "channel": "phone",
        "line": "1414",
        "language": "kk",
        "name": "Айгерім Сейітова",
        "phone": "+77011234567",
        "content": "Мекенжай анықтамасын eGov арқылы қалай алуға болады?",
    },
    {
        "channel": "email",
        "language": "ru",
        "name": "Сергей Петров",
        "email": "petrov@example.kz",
        "content": "Прошу разъяснить сроки оформления пособия по уходу за ребёнком.",
    },
    {
        "channel": "web",
        "language": "ru",
        "name": "Асель Нурланова",
        "email": "asel@example.kz",
        "category": "referral",
        "content": "Как обжаловать решение суда по гражданскому делу?",
    },
    {
        "channel": "phone",
        "line": "8800",
        "language": "kk",
        "name": "Ерлан Жұмабаев",
        "phone": "+77771234567",
        "iin_bin": "900101399998",
        "category": "status_inquiry",
        "content": "Тіркеу туралы өтінімімнің мәртебесі қандай?",
    },
]


def appeals_load_demo() -> int:
    """Register the demo appeals once (nothing when appeals exist); returns how many were made."""
    if Appeal.objects.exists():
        return 0
    service = PublicService.objects.order_by("register_number").first()
    made = 0
    for data in DEMO:
        payload = dict(data)
        if service is not None and payload.get("category", "consultation") == "consultation":
            payload["service"] = service.register_number
        appeal_register(actor=None, data=payload)
        made += 1
    return made
