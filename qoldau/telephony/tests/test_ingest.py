"""Call records from CTI events: idempotent, order-proof, and the router kept in step."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from typing import Any

import pytest
from django.test import override_settings

from qoldau.core.errors import Conflict, ValidationFailed
from qoldau.routing.enums import Presence, TaskState
from qoldau.routing.models import Operator, Task
from qoldau.routing.tests.factories import make_operator, make_queue
from qoldau.telephony.enums import CallState
from qoldau.telephony.models import CallRecord, CallTransfer, StoredCallEvent
from qoldau.telephony.ports import CallEvent, CallEventKind
from qoldau.telephony.services import call_event_ingest

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC)


def ev(call: str, seq: int, kind: CallEventKind, seconds: float, **fields: Any) -> CallEvent:
    return CallEvent(
        call_id=call, seq=seq, kind=kind, at=T0 + dt.timedelta(seconds=seconds), **fields
    )


@pytest.fixture
def queue() -> Any:
    """Qoldau routes the calls (it controls the PBX), as in the demo and with the webhook."""
    with override_settings(TELEPHONY_CONTROL="webhook", TELEPHONY_CONTROL_URL="https://pbx/"):
        yield make_queue("all", steps=[{"skill_mode": "any", "members_only": False}])


def answered_call(call: str, operator: Operator) -> list[CallEvent]:
    ext = operator.extension
    return [
        ev(call, 1, CallEventKind.ARRIVED, 0, line="1414", caller="8 701 234 56 78", language="kk"),
        ev(call, 2, CallEventKind.QUEUED, 1, queue="all"),
        ev(call, 3, CallEventKind.OFFERED, 20, operator=f"PJSIP/{ext}"),
        ev(call, 4, CallEventKind.ANSWERED, 24, operator=f"PJSIP/{ext}"),
        ev(call, 5, CallEventKind.ENDED, 204, reason="caller"),
        ev(call, 6, CallEventKind.RATING, 210, rating=5),
    ]


def test_an_answered_call_is_recorded_with_its_wait_and_the_router_follows(queue: Any) -> None:
    op = make_operator(languages={"kk": 5})
    events = answered_call("c1", op)

    call_event_ingest(events[0])
    task = Task.objects.get(ref="c1")
    assert task.state == TaskState.RESERVED  # offered to the free operator at once

    for event in events[1:4]:
        call_event_ingest(event)
    op.refresh_from_db()
    assert op.presence == Presence.ON_CALL
    for event in events[4:]:
        call_event_ingest(event)

    call = CallRecord.objects.get(call_id="c1")
    assert call.state == CallState.ENDED
    assert call.caller == "+77012345678"
    assert call.caller_raw == "8 701 234 56 78"
    assert call.line == "1414"
    assert call.language == "kk"
    assert call.wait_seconds == 24.0
    assert call.talk_seconds == 180.0
    assert call.operator == op.user
    assert call.rating == 5
    assert not call.abandoned
    task.refresh_from_db()
    op.refresh_from_db()
    assert task.state == TaskState.COMPLETED
    assert op.presence == Presence.WRAP_UP
    assert op.voice_busy == 0


def test_duplicates_and_any_arrival_order_give_the_same_record(queue: Any) -> None:
    op = make_operator(languages={"kk": 5})
    in_order = answered_call("ordered", op)
    for event in in_order:
        call_event_ingest(event)
    reference = CallRecord.objects.get(call_id="ordered")

    rng = random.Random(7)
    shuffled = [CallEvent(**{**e.__dict__, "call_id": "shuffled"}) for e in answered_call("x", op)]
    twice = shuffled + shuffled[:3]
    rng.shuffle(twice)
    outcomes = [call_event_ingest(event).duplicate for event in twice]

    assert outcomes.count(True) == 3
    assert StoredCallEvent.objects.filter(call_id="shuffled").count() == 6
    record = CallRecord.objects.get(call_id="shuffled")
    fields = ["state", "wait_seconds", "talk_seconds", "rating", "caller", "abandoned", "last_seq"]
    assert [getattr(record, f) for f in fields] == [getattr(reference, f) for f in fields]
    assert record.operator_id == reference.operator_id


def test_a_caller_who_hangs_up_while_waiting_is_abandoned_and_the_task_canceled(
    queue: Any,
) -> None:
    call_event_ingest(ev("c2", 1, CallEventKind.ARRIVED, 0, caller="+77012345678"))
    call_event_ingest(ev("c2", 2, CallEventKind.ABANDONED, 41, reason="caller"))
    call = CallRecord.objects.get(call_id="c2")
    assert call.state == CallState.ABANDONED
    assert call.abandoned
    assert call.wait_seconds == 41.0
    assert Task.objects.get(ref="c2").state == TaskState.CANCELED


def test_an_end_without_an_answer_counts_as_abandoned(queue: Any) -> None:
    call_event_ingest(ev("c3", 1, CallEventKind.ARRIVED, 0))
    call_event_ingest(ev("c3", 2, CallEventKind.ENDED, 12))
    assert CallRecord.objects.get(call_id="c3").abandoned


def test_transfer_is_recorded_and_the_call_goes_to_the_named_operator(queue: Any) -> None:
    first = make_operator(languages={"kk": 5})
    second = make_operator(languages={"kk": 5}, presence=Presence.AVAILABLE)
    call_event_ingest(ev("c4", 1, CallEventKind.ARRIVED, 0, language="kk"))
    call_event_ingest(ev("c4", 2, CallEventKind.ANSWERED, 5, operator=first.extension))
    call_event_ingest(
        ev(
            "c4",
            3,
            CallEventKind.TRANSFERRED,
            60,
            operator=first.extension,
            target_operator=second.extension,
            notice="transfer_notice",
        )
    )
    transfer = CallTransfer.objects.get(call__call_id="c4")
    assert transfer.from_operator == first.user
    assert transfer.to_operator == second.user
    assert transfer.notice == "transfer_notice"
    task = Task.objects.get(ref="c4")
    assert task.reservations.filter(operator=second, state="pending").exists()
    call_event_ingest(ev("c4", 4, CallEventKind.ANSWERED, 70, operator=second.extension))
    call = CallRecord.objects.get(call_id="c4")
    assert call.transfers == 1
    assert call.operator == second.user
    assert call.wait_seconds == 5.0  # the p.7 wait runs to the first answer


def test_the_same_sequence_with_other_data_is_refused(queue: Any) -> None:
    call_event_ingest(ev("c5", 1, CallEventKind.ARRIVED, 0))
    with pytest.raises(Conflict):
        call_event_ingest(ev("c5", 1, CallEventKind.ENDED, 3))
    assert StoredCallEvent.objects.get(call_id="c5").kind == "arrived"


@pytest.mark.parametrize("rating", [0, 6, -1, 10])
def test_a_rating_outside_one_to_five_is_refused_and_nothing_stored(
    queue: Any, rating: int
) -> None:
    call_event_ingest(ev("c6", 1, CallEventKind.ARRIVED, 0))
    with pytest.raises(ValidationFailed) as caught:
        call_event_ingest(ev("c6", 2, CallEventKind.RATING, 5, rating=rating))
    assert caught.value.errors[0].field == "rating"
    assert StoredCallEvent.objects.filter(call_id="c6").count() == 1
    assert CallRecord.objects.get(call_id="c6").rating is None


def test_unknown_operator_and_odd_numbers_are_kept_as_anomalies(queue: Any) -> None:
    call_event_ingest(ev("c7", 1, CallEventKind.ARRIVED, 0, caller="anonymous"))
    call_event_ingest(ev("c7", 2, CallEventKind.ANSWERED, 3, operator="PJSIP/9999"))
    call = CallRecord.objects.get(call_id="c7")
    assert call.caller == ""
    assert call.caller_raw == "anonymous"
    assert any(a.startswith("unknown_operator:") for a in call.anomalies)


def test_many_calls_never_share_an_operator(queue: Any) -> None:
    operators = [make_operator(languages={"kk": 5, "ru": 5}) for _ in range(3)]
    seq = itertools.count(1)
    for n in range(6):
        call_event_ingest(ev(f"m{n}", next(seq), CallEventKind.ARRIVED, n))
    busy = Operator.objects.filter(pk__in=[o.pk for o in operators], voice_busy=1).count()
    assert busy == 3
    assert Task.objects.filter(state=TaskState.RESERVED).count() == 3
    assert Task.objects.filter(state=TaskState.PENDING).count() == 3


def test_when_the_pbx_distributes_calls_the_router_only_follows() -> None:
    """Without control of the PBX (Asterisk's own queues), nobody is offered the call; the
    operator who answered gets the task, and the end frees them."""
    make_queue("all", steps=[{"skill_mode": "any", "members_only": False}])
    op = make_operator(languages={"kk": 5})
    call_event_ingest(ev("p1", 1, CallEventKind.ARRIVED, 0, language="kk"))
    assert not Task.objects.filter(ref="p1").exists()
    call_event_ingest(ev("p1", 2, CallEventKind.ANSWERED, 9, operator=op.extension))
    task = Task.objects.get(ref="p1")
    assert task.state == TaskState.ASSIGNED
    assert task.assigned_to == op
    call_event_ingest(ev("p1", 3, CallEventKind.ENDED, 99))
    task.refresh_from_db()
    op.refresh_from_db()
    assert task.state == TaskState.COMPLETED
    assert op.presence == Presence.WRAP_UP


def test_routed_calls_send_the_pbx_its_commands(queue: Any) -> None:
    from qoldau.core.models import OutboxMessage

    op = make_operator(languages={"kk": 5})
    call_event_ingest(ev("w1", 1, CallEventKind.ARRIVED, 0, language="kk"))
    offer = OutboxMessage.objects.get(channel="cti")
    assert offer.subject == "offer"
    assert f'"extension": "{op.extension}"' in offer.body


def test_a_transfer_by_the_pbx_itself_moves_the_call_to_the_next_operator() -> None:
    """With the PBX distributing, each answered leg is assigned to whoever answered; the
    transferring operator is freed and nothing is left waiting for the router to offer."""
    first = make_operator(languages={"kk": 5})
    second = make_operator(languages={"kk": 5})
    call_event_ingest(ev("p2", 1, CallEventKind.ARRIVED, 0, language="kk"))
    call_event_ingest(ev("p2", 2, CallEventKind.ANSWERED, 5, operator=first.extension))
    call_event_ingest(
        ev("p2", 3, CallEventKind.TRANSFERRED, 60, operator=first.extension, target_queue="x")
    )
    call_event_ingest(ev("p2", 4, CallEventKind.ANSWERED, 75, operator=second.extension))
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.voice_busy == 0
    assert second.voice_busy == 1
    assert not Task.objects.filter(state=TaskState.PENDING).exists()
    assert Task.objects.get(ref="p2#leg1").assigned_to == second
    call_event_ingest(ev("p2", 5, CallEventKind.ENDED, 200))
    second.refresh_from_db()
    assert second.voice_busy == 0
    assert Task.objects.get(ref="p2#leg1").state == TaskState.COMPLETED
