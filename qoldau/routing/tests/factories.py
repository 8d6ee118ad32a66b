"""Test helpers of routing: operators with competences and queues with steps."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from qoldau.accounts.enums import Role
from qoldau.core import clock
from qoldau.registry.tests.factories import make_user
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
from qoldau.routing.services import queue_plans_forget

_ext = itertools.count(1001)


def make_skill(code: str, service: Any = None) -> Skill:
    skill, _created = Skill.objects.get_or_create(
        code=code, defaults={"name_kk": code, "name_ru": code, "service": service}
    )
    return skill


def make_operator(
    *,
    languages: dict[str, int] | None = None,
    skills: dict[str, int] | None = None,
    queues: list[Queue] | None = None,
    presence: str = Presence.AVAILABLE,
    user: Any = None,
    idle_seconds_ago: int = 0,
) -> Operator:
    user = user or make_user(organisation=None, roles=[Role.OPERATOR])
    now = clock.now()
    operator = Operator.objects.create(
        user=user,
        extension=str(next(_ext)),
        presence=presence,
        presence_since=now,
        idle_since=now - dt.timedelta(seconds=idle_seconds_ago),
    )
    for language, level in (languages if languages is not None else {"kk": 5, "ru": 5}).items():
        OperatorLanguage.objects.create(operator=operator, language=language, level=level)
    for code, level in (skills or {}).items():
        OperatorSkill.objects.create(
            operator=operator, skill=make_skill(code), level=level, granted_at=now
        )
    for queue in queues or []:
        QueueMember.objects.create(queue=queue, operator=operator, added_at=now)
    return operator


def make_queue(
    code: str,
    *,
    match: str = "",
    channel: str = "voice",
    steps: list[dict[str, Any]] | None = None,
    priority: int = 100,
    offer_seconds: int = 15,
) -> Queue:
    queue = Queue.objects.create(
        code=code,
        name_kk=code,
        name_ru=code,
        match=match,
        channel=channel,
        priority=priority,
        offer_seconds=offer_seconds,
    )
    for order, step in enumerate(steps or [{}], start=1):
        QueueStep.objects.create(queue=queue, order=order, **step)
    queue_plans_forget()
    return queue
