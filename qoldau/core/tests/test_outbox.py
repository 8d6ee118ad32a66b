"""The outbox: idempotent enqueue, a stable Message-ID, delivery with attempts and exponential
backoff, permanent failures recorded and found by their object, crash recovery by lease."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import time_machine
from django.db import transaction

from qoldau.core import outbox
from qoldau.core.errors import Conflict
from qoldau.core.models import OutboxMessage, OutboxStatus
from qoldau.core.outbox import (
    Envelope,
    PermanentDeliveryError,
    TemporaryDeliveryError,
    outbox_backoff,
    outbox_deliver_due,
    outbox_enqueue,
    outbox_failed_for_related,
    outbox_for_related,
    outbox_mark_bounced,
    outbox_register_transport,
    outbox_retry,
)

pytestmark = pytest.mark.django_db

T0 = "2024-03-01 10:00:00+00:00"


@dataclass
class FakeTransport:
    """Fails with the queued errors first, then accepts; keeps what it accepted."""

    errors: list[Exception] = field(default_factory=list)
    sent: list[Envelope] = field(default_factory=list)
    tried: list[Envelope] = field(default_factory=list)
    closed: int = 0

    def send(self, envelope: Envelope) -> None:
        self.tried.append(envelope)
        if self.errors:
            raise self.errors.pop(0)
        self.sent.append(envelope)

    def close(self) -> None:
        self.closed += 1


@pytest.fixture
def transport() -> Iterator[FakeTransport]:
    fake = FakeTransport()
    outbox_register_transport("test", lambda: fake)
    yield fake
    outbox._transports.pop("test", None)


def _enqueue(key: str = "k1", **kwargs: object) -> OutboxMessage:
    values: dict[str, object] = {
        "channel": "test",
        "recipient": "citizen@example.kz",
        "subject": "Өтінішіңіз тіркелді",
        "body": "Нөмірі 1",
        "idempotency_key": key,
        "sender": "Qoldau <info@1414.kz>",
    }
    values.update(kwargs)
    return outbox_enqueue(**values)  # type: ignore[arg-type]


def test_enqueue_is_idempotent_and_makes_a_message_id_once() -> None:
    first = _enqueue(headers={"Auto-Submitted": "auto-replied"}, language="kk")
    again = _enqueue(subject="changed")
    assert again.pk == first.pk
    assert again.subject == "Өтінішіңіз тіркелді"
    assert OutboxMessage.objects.count() == 1
    assert first.message_id.startswith("<")
    assert first.message_id.endswith("@1414.kz>")
    assert first.status == OutboxStatus.PENDING
    assert first.headers == {"Auto-Submitted": "auto-replied"}


def test_the_same_key_for_another_recipient_is_a_conflict() -> None:
    _enqueue()
    with pytest.raises(Conflict):
        _enqueue(recipient="someone-else@example.kz")
    with pytest.raises(Conflict):
        _enqueue(key="")


def test_nothing_is_queued_when_the_use_case_rolls_back() -> None:
    def use_case() -> None:
        with transaction.atomic():
            _enqueue()
            raise RuntimeError("the use case failed")

    with pytest.raises(RuntimeError):
        use_case()
    assert OutboxMessage.objects.count() == 0


def test_message_ids_are_unique_and_fall_back_to_the_default_sender(settings: Any) -> None:
    settings.QOLDAU_MAIL_FROM = "Qoldau <noreply@1414.gov.kz>"
    a = _enqueue(key="a", sender="")
    b = _enqueue(key="b", sender="")
    assert a.message_id != b.message_id
    assert a.message_id.endswith("@1414.gov.kz>")
    settings.QOLDAU_MAIL_FROM = ""
    assert _enqueue(key="c", sender="").message_id.endswith("@qoldau.invalid>")


def test_delivery_sends_once_and_records_it(transport: FakeTransport) -> None:
    row = _enqueue(related=("appeals.appeal", 42))
    report = outbox_deliver_due()
    assert (report.claimed, report.sent, report.failed) == (1, 1, 0)
    row.refresh_from_db()
    assert row.status == OutboxStatus.SENT
    assert row.attempts == 1
    assert row.sent_at is not None
    assert [e.message_id for e in transport.sent] == [row.message_id]
    assert transport.sent[0].subject == "Өтінішіңіз тіркелді"
    assert transport.closed == 1
    assert outbox_deliver_due().claimed == 0  # never sent twice


def test_temporary_failures_back_off_exponentially_then_succeed(transport: FakeTransport) -> None:
    transport.errors = [TemporaryDeliveryError("451 busy"), TemporaryDeliveryError("451 busy")]
    with time_machine.travel(T0, tick=False):
        row = _enqueue()
        assert outbox_deliver_due().retried == 1
        row.refresh_from_db()
        assert row.status == OutboxStatus.PENDING
        assert row.next_attempt_at == dt.datetime(2024, 3, 1, 10, 1, tzinfo=dt.UTC)
        assert row.last_error == "451 busy"
    with time_machine.travel("2024-03-01 10:00:59+00:00", tick=False):
        assert outbox_deliver_due().claimed == 0
    with time_machine.travel("2024-03-01 10:01:00+00:00", tick=False):
        assert outbox_deliver_due().retried == 1
        row.refresh_from_db()
        assert row.next_attempt_at == dt.datetime(2024, 3, 1, 10, 3, tzinfo=dt.UTC)
    with time_machine.travel("2024-03-01 10:03:00+00:00", tick=False):
        assert outbox_deliver_due().sent == 1
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (OutboxStatus.SENT, 3, "")
    assert {e.message_id for e in transport.tried} == {row.message_id}
    assert [e.attempt for e in transport.tried] == [1, 2, 3]
    assert [entry["ok"] for entry in row.attempt_log] == [False, False, True]


def test_backoff_is_capped() -> None:
    assert outbox_backoff(1) == dt.timedelta(minutes=1)
    assert outbox_backoff(4) == dt.timedelta(minutes=8)
    assert outbox_backoff(40) == dt.timedelta(hours=6)


def test_a_permanent_failure_is_recorded_and_found_by_its_object(
    transport: FakeTransport,
) -> None:
    transport.errors = [PermanentDeliveryError("550 no such user", code=550)]
    row = _enqueue(related=("appeals.appeal", 7))
    _enqueue(key="other", related=("appeals.appeal", 8))
    report = outbox_deliver_due()
    assert (report.failed, report.sent) == (1, 1)
    row.refresh_from_db()
    assert row.status == OutboxStatus.FAILED
    assert row.last_error == "550 no such user"
    assert row.attempts == 1
    assert outbox_failed_for_related(("appeals.appeal", 7)) == [row]
    assert outbox_failed_for_related(("appeals.appeal", 8)) == []
    assert len(outbox_for_related(("appeals.appeal", 8))) == 1


def test_the_last_attempt_failing_is_a_failure(transport: FakeTransport) -> None:
    transport.errors = [TemporaryDeliveryError("451"), TemporaryDeliveryError("451")]
    with time_machine.travel(T0, tick=False):
        row = _enqueue(max_attempts=2)
        outbox_deliver_due()
    with time_machine.travel("2024-03-01 11:00:00+00:00", tick=False):
        assert outbox_deliver_due().failed == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutboxStatus.FAILED, 2)


def test_an_unexpected_transport_error_counts_as_temporary(transport: FakeTransport) -> None:
    transport.errors = [ValueError("bug in the adapter")]
    row = _enqueue()
    assert outbox_deliver_due().retried == 1
    row.refresh_from_db()
    assert row.last_error == "ValueError: bug in the adapter"


def test_a_channel_without_transport_waits(db: None) -> None:
    row = _enqueue(channel="nowhere")
    assert outbox_deliver_due().retried == 1
    row.refresh_from_db()
    assert "no transport" in row.last_error


def test_a_worker_that_died_while_sending_is_taken_over_with_the_same_message_id(
    transport: FakeTransport,
) -> None:
    with time_machine.travel(T0, tick=False):
        row = _enqueue()
        claimed = outbox._claim(limit=10, channel=None)  # the worker claims, sends, then dies
        assert [r.pk for r in claimed] == [row.pk]
        transport.send(outbox._envelope(claimed[0]))
        assert outbox_deliver_due().claimed == 0  # still leased to the dead worker
    with time_machine.travel("2024-03-01 10:05:01+00:00", tick=False):
        assert outbox_deliver_due().sent == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutboxStatus.SENT, 2)
    # At least once, never under another id: the recipient's program sees one message.
    assert [e.message_id for e in transport.sent] == [row.message_id, row.message_id]


def test_a_stale_result_does_not_overwrite_a_newer_attempt(transport: FakeTransport) -> None:
    row = _enqueue()
    claimed = outbox._claim(limit=10, channel=None)
    OutboxMessage.objects.filter(pk=row.pk).update(attempts=5)  # another worker took it over
    assert outbox._record(row.pk, claimed[0].attempts, None) == "stale"


def test_a_failed_message_can_be_queued_again(transport: FakeTransport) -> None:
    transport.errors = [PermanentDeliveryError("550")]
    row = _enqueue()
    outbox_deliver_due()
    with pytest.raises(Conflict):
        outbox_retry(outbox_id=_enqueue(key="sent-one").pk)
    retried = outbox_retry(outbox_id=row.pk)
    assert retried.status == OutboxStatus.PENDING
    assert outbox_deliver_due().sent == 2
    row.refresh_from_db()
    assert row.status == OutboxStatus.SENT
    assert transport.sent[-1].message_id == row.message_id


def test_a_bounce_marks_the_message_failed() -> None:
    row = _enqueue()
    assert outbox_mark_bounced(message_id=row.message_id, reason="5.1.1") == row
    row.refresh_from_db()
    assert row.status == OutboxStatus.FAILED
    assert row.last_error == "bounced: 5.1.1"
    assert outbox_mark_bounced(message_id="<not-ours@x>", reason="x") is None


def test_a_transport_that_cannot_be_built_keeps_the_message_for_later() -> None:
    def broken() -> FakeTransport:
        raise ImportError("no such adapter")

    outbox_register_transport("broken", broken)
    try:
        row = _enqueue(channel="broken")
        assert outbox_deliver_due().retried == 1
    finally:
        outbox._transports.pop("broken", None)
    row.refresh_from_db()
    assert row.status == OutboxStatus.PENDING
    assert "no such adapter" in row.last_error
