"""The router's plain-SQL writes leave nothing behind when an offer cannot be made."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from qoldau.core import clock
from qoldau.routing import rows, services
from qoldau.routing.enums import ReservationState, TaskState
from qoldau.routing.models import Reservation, Task
from qoldau.routing.tests.factories import make_operator, make_queue

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting() -> Any:
    queue = make_queue("kk", match='language == "kk"', steps=[{"skill_mode": "any"}])
    task = services.task_submit(channel="voice", ref="c1", attributes={"language": "kk"})
    assert task.state == TaskState.PENDING  # nobody was free
    return queue, task


def _offer(task: Task, operator_id: int) -> Reservation | None:
    now = clock.now()
    return rows.offer_make(
        task=task,
        operator_id=operator_id,
        step=task.step,
        offered_at=now,
        expires_at=now + dt.timedelta(seconds=15),
    )


def test_an_offer_of_a_task_taken_meanwhile_gives_the_operator_back(waiting: Any) -> None:
    queue, task = waiting
    Task.objects.filter(pk=task.pk).update(state=TaskState.RESERVED)  # someone else took it
    op = make_operator(queues=[queue])

    assert _offer(task, op.pk) is None

    op.refresh_from_db()
    assert op.voice_busy == 0
    assert not Reservation.objects.filter(operator=op).exists()


def test_an_offer_refused_by_the_unique_index_undoes_the_claims(waiting: Any) -> None:
    queue, task = waiting
    holder = make_operator(queues=[queue])
    now = clock.now()
    # An open offer of the task that the task's state does not show (the index still holds).
    Reservation.objects.create(
        task=task, operator=holder, channel="voice", offered_at=now, expires_at=now
    )
    op = make_operator(queues=[queue])

    assert _offer(task, op.pk) is None

    op.refresh_from_db()
    task.refresh_from_db()
    assert op.voice_busy == 0
    assert task.state == TaskState.PENDING
    assert task.offers == 0
    assert Reservation.objects.filter(task=task, state=ReservationState.PENDING).count() == 1


def test_an_offer_to_a_free_operator_claims_both(waiting: Any) -> None:
    queue, task = waiting
    op = make_operator(queues=[queue])

    reservation = _offer(task, op.pk)

    assert reservation is not None
    op.refresh_from_db()
    task.refresh_from_db()
    assert (op.voice_busy, task.state, task.offers) == (1, TaskState.RESERVED, 1)
    stored = Reservation.objects.get(pk=reservation.pk)
    assert (stored.operator_id, stored.state) == (op.pk, ReservationState.PENDING)


def test_a_repeated_call_while_operators_are_free_claims_no_one_twice() -> None:
    queue = make_queue("kk", match='language == "kk"', steps=[{"skill_mode": "any"}])
    first, second = make_operator(queues=[queue]), make_operator(queues=[queue])
    task = services.task_submit(channel="voice", ref="c1", attributes={"language": "kk"})

    again = services.task_submit(channel="voice", ref="c1", attributes={"language": "kk"})

    assert again.pk == task.pk
    assert Reservation.objects.filter(task=task).count() == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert sorted([first.voice_busy, second.voice_busy]) == [0, 1]
