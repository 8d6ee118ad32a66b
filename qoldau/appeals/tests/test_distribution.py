"""Written appeals through the router: offered within capacity, taken on accept, freed on
answer; API appeals are not distributed."""

from __future__ import annotations

from typing import Any

import pytest

from qoldau.appeals.enums import Status
from qoldau.appeals.services import appeal_answer, appeal_register, appeal_transfer
from qoldau.routing.enums import TaskState
from qoldau.routing.models import Reservation, Task
from qoldau.routing.services import reservation_accept
from qoldau.routing.tests.factories import make_operator, make_queue

pytestmark = pytest.mark.django_db


@pytest.fixture
def written() -> Any:
    return make_queue(
        "written", channel="text", steps=[{"skill_mode": "any", "members_only": False}]
    )


def _web(language: str = "ru") -> Any:
    return appeal_register(
        actor=None,
        data={"content": "Как получить справку?", "channel": "web", "language": language},
        acknowledge=False,
    )


def test_a_web_appeal_is_offered_taken_and_freed(written: Any) -> None:
    op = make_operator(languages={"ru": 5})
    appeal = _web()
    offer = Reservation.objects.get(task__ref=appeal.number)
    assert offer.operator == op
    assert offer.channel == "web"

    reservation_accept(actor=op.user, reservation_id=offer.pk)
    appeal.refresh_from_db()
    assert appeal.status == Status.IN_PROGRESS
    assert appeal.assigned_to == op.user

    appeal_answer(actor=op.user, appeal_id=appeal.pk, text="Через портал eGov.")
    task = Task.objects.get(ref=appeal.number)
    op.refresh_from_db()
    assert task.state == TaskState.COMPLETED
    assert op.text_busy == 0


def test_a_kazakh_appeal_waits_for_a_kazakh_speaker(written: Any) -> None:
    make_operator(languages={"ru": 5})
    appeal = _web("kk")
    assert Task.objects.get(ref=appeal.number).state == TaskState.PENDING
    speaker = make_operator(languages={"kk": 5}, presence="offline")
    from qoldau.routing.services import operator_set_presence

    operator_set_presence(actor=speaker.user, operator_id=speaker.pk, presence="available")
    assert Reservation.objects.get(task__ref=appeal.number).operator == speaker


def test_transfer_to_a_colleague_moves_the_task(written: Any) -> None:
    first = make_operator(languages={"ru": 5}, idle_seconds_ago=100)
    colleague = make_operator(languages={"ru": 5})
    appeal = _web()
    reservation_accept(
        actor=first.user, reservation_id=Reservation.objects.get(task__ref=appeal.number).pk
    )
    appeal_transfer(actor=first.user, appeal_id=appeal.pk, to_user=colleague.user, note="налоги")
    current = Reservation.objects.get(task__ref=appeal.number, state="pending")
    assert current.operator == colleague
    first.refresh_from_db()
    assert first.text_busy == 0


def test_api_appeals_are_not_distributed(written: Any) -> None:
    make_operator(languages={"ru": 5})
    appeal = appeal_register(
        actor=None,
        data={"content": "Вопрос", "channel": "api", "language": "ru"},
        acknowledge=False,
    )
    assert not Task.objects.filter(ref=appeal.number).exists()
