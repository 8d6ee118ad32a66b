"""The router: eligibility by competence and language, steps with timeouts, reservations."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from qoldau.core import clock
from qoldau.core.errors import Conflict, NotFound
from qoldau.routing import services
from qoldau.routing.enums import Presence, ReservationState, TaskState
from qoldau.routing.models import Operator, Reservation, Task
from qoldau.routing.tests.factories import make_operator, make_queue, make_skill

pytestmark = pytest.mark.django_db


def _open(task: Task) -> Reservation | None:
    return Reservation.objects.filter(
        task=task, state__in=[ReservationState.PENDING, ReservationState.ACCEPTED]
    ).first()


@pytest.fixture
def kk_queue() -> Any:
    make_skill("eds")
    return make_queue(
        "kk-experts",
        match='language == "kk"',
        steps=[
            {"skill_mode": "service", "min_skill_level": 3, "timeout_seconds": 20},
            {"skill_mode": "any", "members_only": False},
        ],
    )


def test_call_goes_to_the_longest_idle_expert_who_speaks_the_language(kk_queue: Any) -> None:
    make_operator(languages={"kk": 5}, skills={"eds": 4}, queues=[kk_queue], idle_seconds_ago=5)
    longest = make_operator(
        languages={"kk": 5}, skills={"eds": 3}, queues=[kk_queue], idle_seconds_ago=60
    )
    make_operator(languages={"ru": 5}, skills={"eds": 5}, queues=[kk_queue], idle_seconds_ago=900)
    make_operator(languages={"kk": 5}, skills={"eds": 1}, queues=[kk_queue], idle_seconds_ago=900)

    task = services.task_submit(
        channel="voice", ref="call-1", attributes={"language": "kk", "skill": "eds"}
    )

    reservation = _open(task)
    assert reservation is not None
    assert reservation.operator == longest
    task.refresh_from_db()
    assert task.state == TaskState.RESERVED
    assert task.queue == kk_queue
    longest.refresh_from_db()
    assert longest.voice_busy == 1


def test_after_the_step_timeout_any_operator_with_the_language_is_offered(kk_queue: Any) -> None:
    generalist = make_operator(languages={"kk": 4}, skills={})
    task = services.task_submit(
        channel="voice", ref="call-2", attributes={"language": "kk", "skill": "eds"}
    )
    assert _open(task) is None  # no expert free

    services.routing_tick(now=clock.now() + dt.timedelta(seconds=10))
    assert _open(task) is None  # still in step 1

    result = services.routing_tick(now=clock.now() + dt.timedelta(seconds=21))
    assert result.escalated == 1
    assert result.offered == 1
    reservation = _open(task)
    assert reservation is not None
    assert reservation.operator == generalist
    assert reservation.step == 2


def test_accept_assigns_and_puts_the_operator_on_a_call(kk_queue: Any) -> None:
    op = make_operator(languages={"kk": 5}, skills={"eds": 5}, queues=[kk_queue])
    task = services.task_submit(
        channel="voice", ref="c", attributes={"language": "kk", "skill": "eds"}
    )
    reservation = _open(task)
    assert reservation is not None

    services.reservation_accept(actor=op.user, reservation_id=reservation.pk)

    task.refresh_from_db()
    op.refresh_from_db()
    assert task.state == TaskState.ASSIGNED
    assert task.assigned_to == op
    assert op.presence == Presence.ON_CALL
    assert op.voice_busy == 1
    with pytest.raises(Conflict):
        services.reservation_accept(actor=op.user, reservation_id=reservation.pk)


def test_someone_else_cannot_accept_an_offer(kk_queue: Any) -> None:
    op = make_operator(languages={"kk": 5}, skills={"eds": 5}, queues=[kk_queue])
    other = make_operator(languages={"ru": 5}, presence=Presence.OFFLINE)
    task = services.task_submit(
        channel="voice", ref="c", attributes={"language": "kk", "skill": "eds"}
    )
    reservation = _open(task)
    assert reservation is not None
    assert reservation.operator == op
    with pytest.raises(NotFound):
        services.reservation_accept(actor=other.user, reservation_id=reservation.pk)
    reservation.refresh_from_db()
    assert reservation.state == ReservationState.PENDING


def test_reject_offers_the_task_to_the_next_operator(kk_queue: Any) -> None:
    first = make_operator(skills={"eds": 5}, queues=[kk_queue], idle_seconds_ago=50)
    second = make_operator(skills={"eds": 5}, queues=[kk_queue], idle_seconds_ago=10)
    task = services.task_submit(
        channel="voice", ref="c", attributes={"language": "kk", "skill": "eds"}
    )
    offered = _open(task)
    assert offered is not None
    assert offered.operator == first

    services.reservation_reject(actor=first.user, reservation_id=offered.pk)

    again = _open(task)
    assert again is not None
    assert again.operator == second
    first.refresh_from_db()
    assert first.voice_busy == 0
    assert first.presence == Presence.AVAILABLE


def test_an_unanswered_offer_times_out_and_the_phone_goes_on_break(kk_queue: Any) -> None:
    first = make_operator(skills={"eds": 5}, queues=[kk_queue], idle_seconds_ago=50)
    second = make_operator(skills={"eds": 5}, queues=[kk_queue], idle_seconds_ago=10)
    task = services.task_submit(
        channel="voice", ref="c", attributes={"language": "kk", "skill": "eds"}
    )

    result = services.routing_tick(now=clock.now() + dt.timedelta(seconds=16))

    assert result.expired == 1
    first.refresh_from_db()
    assert first.presence == Presence.BREAK
    assert first.voice_busy == 0
    again = _open(task)
    assert again is not None
    assert again.operator == second


def test_an_operator_who_frees_up_takes_the_oldest_waiting_task(kk_queue: Any) -> None:
    op = make_operator(skills={"eds": 5}, queues=[kk_queue], presence=Presence.BREAK)
    with time_machine.travel(clock.now() - dt.timedelta(seconds=30)):
        older = services.task_submit(
            channel="voice", ref="old", attributes={"language": "kk", "skill": "eds"}
        )
    services.task_submit(channel="voice", ref="new", attributes={"language": "kk", "skill": "eds"})

    services.operator_set_presence(actor=op.user, operator_id=op.pk, presence=Presence.AVAILABLE)

    reservation = _open(older)
    assert reservation is not None
    assert reservation.operator == op


def test_a_call_never_goes_to_an_operator_on_a_call(kk_queue: Any) -> None:
    op = make_operator(skills={"eds": 5}, queues=[kk_queue])
    services.task_submit(channel="voice", ref="a", attributes={"language": "kk", "skill": "eds"})
    second = services.task_submit(
        channel="voice", ref="b", attributes={"language": "kk", "skill": "eds"}
    )
    assert _open(second) is None
    assert Reservation.objects.filter(operator=op).count() == 1


def test_written_appeals_share_the_operator_capacity() -> None:
    make_queue("mail", channel="text", steps=[{"skill_mode": "any", "members_only": False}])
    op = make_operator(languages={"ru": 5})
    Operator.objects.filter(pk=op.pk).update(text_capacity=2)
    for n in range(3):
        services.task_submit(channel="email", ref=f"A-{n}", attributes={"language": "ru"})
    assert Reservation.objects.filter(operator=op, channel="email").count() == 2
    op.refresh_from_db()
    assert op.text_busy == 2
    # A call still reaches an operator busy with written work only up to capacity; a call
    # offered while writing is allowed (calls come first).
    make_queue("ru-voice", steps=[{"skill_mode": "any", "members_only": False}])
    call = services.task_submit(channel="voice", ref="call", attributes={"language": "ru"})
    assert _open(call) is not None


def test_call_end_completes_the_task_and_starts_wrap_up(kk_queue: Any) -> None:
    op = make_operator(skills={"eds": 5}, queues=[kk_queue])
    task = services.task_submit(
        channel="voice", ref="c", attributes={"language": "kk", "skill": "eds"}
    )
    services.task_assign(channel="voice", ref="c", operator=op)

    services.task_finish(channel="voice", ref="c")

    task.refresh_from_db()
    op.refresh_from_db()
    assert task.state == TaskState.COMPLETED
    assert op.presence == Presence.WRAP_UP
    assert op.voice_busy == 0
    services.routing_tick(now=clock.now() + dt.timedelta(seconds=11))
    op.refresh_from_db()
    assert op.presence == Presence.AVAILABLE


def test_pbx_answer_by_another_operator_wins_over_the_offer(kk_queue: Any) -> None:
    offered = make_operator(skills={"eds": 5}, queues=[kk_queue], idle_seconds_ago=60)
    answering = make_operator(skills={"eds": 5}, queues=[kk_queue])
    task = services.task_submit(
        channel="voice", ref="c", attributes={"language": "kk", "skill": "eds"}
    )
    assert (r := _open(task)) is not None
    assert r.operator == offered

    services.task_assign(channel="voice", ref="c", operator=answering)

    offered.refresh_from_db()
    answering.refresh_from_db()
    assert offered.voice_busy == 0
    assert answering.voice_busy == 1
    current = _open(task)
    assert current is not None
    assert current.operator == answering
    assert current.state == ReservationState.ACCEPTED


def test_transfer_by_competence_requeues_to_an_expert_of_the_new_service(kk_queue: Any) -> None:
    make_skill("tax")
    first = make_operator(skills={"eds": 5}, queues=[kk_queue])
    expert = make_operator(skills={"tax": 4}, queues=[kk_queue])
    services.task_submit(channel="voice", ref="c", attributes={"language": "kk", "skill": "eds"})
    services.task_assign(channel="voice", ref="c", operator=first)

    task = services.task_requeue(channel="voice", ref="c", attributes={"skill": "tax"})

    assert task is not None
    reservation = _open(task)
    assert reservation is not None
    assert reservation.operator == expert
    first.refresh_from_db()
    assert first.voice_busy == 0


def test_abandoned_call_cancels_the_offer(kk_queue: Any) -> None:
    op = make_operator(skills={"eds": 5}, queues=[kk_queue])
    task = services.task_submit(
        channel="voice", ref="c", attributes={"language": "kk", "skill": "eds"}
    )
    services.task_finish(channel="voice", ref="c", canceled=True)
    task.refresh_from_db()
    op.refresh_from_db()
    assert task.state == TaskState.CANCELED
    assert op.voice_busy == 0
    assert op.presence == Presence.AVAILABLE
    assert Reservation.objects.get(task=task).state == ReservationState.CANCELED


def test_submit_is_idempotent(kk_queue: Any) -> None:
    make_operator(skills={"eds": 5}, queues=[kk_queue])
    a = services.task_submit(channel="voice", ref="c", attributes={"language": "kk"})
    b = services.task_submit(channel="voice", ref="c", attributes={"language": "kk"})
    assert a.pk == b.pk
    assert Task.objects.count() == 1
    assert Reservation.objects.count() == 1


def test_presence_table_refuses_leaving_a_call_by_hand(kk_queue: Any) -> None:
    op = make_operator(skills={"eds": 5}, queues=[kk_queue])
    services.task_submit(channel="voice", ref="c", attributes={"language": "kk", "skill": "eds"})
    services.task_assign(channel="voice", ref="c", operator=op)
    with pytest.raises(Conflict):
        services.operator_set_presence(actor=op.user, operator_id=op.pk, presence="break")
    op.refresh_from_db()
    assert op.presence == Presence.ON_CALL


def test_without_wrap_up_a_call_end_gives_the_operator_the_oldest_waiting_call(
    kk_queue: Any, settings: Any
) -> None:
    """Work conservation: a free operator never idles while a call they may take waits."""
    settings.ROUTING_WRAP_UP_SECONDS = 0
    op = make_operator(skills={"eds": 5}, queues=[kk_queue])
    services.task_submit(channel="voice", ref="a", attributes={"language": "kk", "skill": "eds"})
    services.task_assign(channel="voice", ref="a", operator=op)
    with time_machine.travel(clock.now() + dt.timedelta(seconds=1), tick=False):
        waiting = services.task_submit(
            channel="voice", ref="b", attributes={"language": "kk", "skill": "eds"}
        )
    assert _open(waiting) is None  # the only operator is on a call

    with time_machine.travel(clock.now() + dt.timedelta(seconds=2), tick=False):
        services.task_finish(channel="voice", ref="a")

    op.refresh_from_db()
    assert op.presence == Presence.AVAILABLE
    assert op.voice_busy == 1
    reservation = _open(waiting)
    assert reservation is not None
    assert reservation.operator == op


def test_the_end_of_a_wrap_up_offers_the_waiting_call_to_that_operator(kk_queue: Any) -> None:
    op = make_operator(skills={"eds": 5}, queues=[kk_queue])
    services.task_submit(channel="voice", ref="a", attributes={"language": "kk", "skill": "eds"})
    services.task_assign(channel="voice", ref="a", operator=op)
    services.task_finish(channel="voice", ref="a")
    waiting = services.task_submit(
        channel="voice", ref="b", attributes={"language": "kk", "skill": "eds"}
    )
    assert _open(waiting) is None  # in wrap-up

    result = services.routing_tick(now=clock.now() + dt.timedelta(seconds=11))

    assert result.wrapped_up == 1
    assert result.offered == 1
    reservation = _open(waiting)
    assert reservation is not None
    assert reservation.operator == op


def test_a_freed_operator_skips_calls_they_may_not_take_however_many_wait(
    kk_queue: Any, settings: Any
) -> None:
    settings.ROUTING_WRAP_UP_SECONDS = 0
    make_skill("tax")
    op = make_operator(skills={"eds": 5}, queues=[kk_queue])
    services.task_submit(channel="voice", ref="a", attributes={"language": "kk", "skill": "eds"})
    services.task_assign(channel="voice", ref="a", operator=op)
    for n in range(250):  # more than a page of calls for another competence, all older
        services.task_submit(
            channel="voice", ref=f"tax-{n}", attributes={"language": "kk", "skill": "tax"}
        )
    mine = services.task_submit(
        channel="voice", ref="eds", attributes={"language": "kk", "skill": "eds"}
    )

    services.task_finish(channel="voice", ref="a")

    reservation = _open(mine)
    assert reservation is not None
    assert reservation.operator == op
    assert Reservation.objects.filter(task__ref__startswith="tax-").count() == 0


def test_a_pbx_answer_by_an_operator_offered_another_call_withdraws_that_offer(
    kk_queue: Any,
) -> None:
    op = make_operator(skills={"eds": 5}, queues=[kk_queue], idle_seconds_ago=60)
    other = make_operator(skills={"eds": 5}, queues=[kk_queue], presence=Presence.OFFLINE)
    services.task_submit(channel="voice", ref="a", attributes={"language": "kk", "skill": "eds"})
    services.routing_tick(now=clock.now() + dt.timedelta(seconds=16))  # the offer of a times out
    services.operator_set_presence(actor=op.user, operator_id=op.pk, presence="available")
    services.task_submit(channel="voice", ref="b", attributes={"language": "kk", "skill": "eds"})
    services.operator_set_presence(actor=other.user, operator_id=other.pk, presence="available")
    # A late answer of call "a" by op, who is being offered call "b" meanwhile.
    services.task_assign(channel="voice", ref="a", operator=op)

    op.refresh_from_db()
    assert op.voice_busy == 1
    assert _open(Task.objects.get(ref="a")).operator == op  # type: ignore[union-attr]
    b = _open(Task.objects.get(ref="b"))
    assert b is not None
    assert b.operator == other


def test_a_pbx_answer_by_an_operator_talking_on_another_call_is_not_counted_twice(
    kk_queue: Any,
) -> None:
    op = make_operator(skills={"eds": 5}, queues=[kk_queue])
    services.task_submit(channel="voice", ref="a", attributes={"language": "kk", "skill": "eds"})
    services.task_assign(channel="voice", ref="a", operator=op)
    services.task_submit(channel="voice", ref="b", attributes={"language": "kk", "skill": "eds"})
    services.task_assign(channel="voice", ref="b", operator=op)
    op.refresh_from_db()
    assert op.voice_busy == 1
    assert Task.objects.get(ref="b").state == TaskState.PENDING


def test_a_freed_operator_skips_calls_below_their_levels_and_calls_they_declined(
    kk_queue: Any, settings: Any
) -> None:
    settings.ROUTING_WRAP_UP_SECONDS = 0
    make_queue(
        "ru-all",
        match='language == "ru"',
        steps=[{"skill_mode": "any", "min_language_level": 3, "members_only": False}],
    )
    op = make_operator(languages={"kk": 5, "ru": 2}, skills={"eds": 2}, queues=[kk_queue])
    expert_call = services.task_submit(
        channel="voice", ref="eds", attributes={"language": "kk", "skill": "eds"}
    )
    russian = services.task_submit(channel="voice", ref="ru", attributes={"language": "ru"})
    declined = services.task_submit(channel="voice", ref="declined", attributes={"language": "kk"})
    offer = _open(declined)
    assert offer is not None
    assert offer.operator == op
    services.reservation_reject(actor=op.user, reservation_id=offer.pk)
    services.operator_set_presence(actor=op.user, operator_id=op.pk, presence=Presence.AVAILABLE)
    services.task_submit(channel="voice", ref="talk", attributes={"language": "kk"})
    services.task_assign(channel="voice", ref="talk", operator=op)
    youngest = services.task_submit(channel="voice", ref="young", attributes={"language": "kk"})
    assert _open(youngest) is None  # op is on a call

    services.task_finish(channel="voice", ref="talk")

    # Older calls wait in front: one needs "eds" at level 3 (op has 2), one Russian at level 3
    # (op has 2), one op declined at its step. The youngest is the one op may take.
    assert [_open(t) for t in (expert_call, russian, declined)] == [None, None, None]
    reservation = _open(youngest)
    assert reservation is not None
    assert reservation.operator == op
