"""Several workers at once, on PostgreSQL (row locks are what is tested; SQLite serialises every
writer anyway): one message processed by four workers is handed on once; the same content stored
under two keys at once gives one original; two outbox workers send each message once."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from qoldau.core.models import OutboxMessage
from qoldau.core.outbox import (
    Envelope,
    outbox_deliver_due,
    outbox_enqueue,
    outbox_register_transport,
)
from qoldau.core.tests.concurrency import run_together
from qoldau.mail import services
from qoldau.mail.models import InboundMessage, Mailbox
from qoldau.mail.tests.conftest import Recorder, make_mail

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks are tested on PostgreSQL (set DATABASE_URL)")


def _together(count: int, work: Callable[[], Any]) -> list[Any]:
    """Run ``work`` in ``count`` threads released at the same moment; results or exceptions."""
    return run_together([work] * count)


def test_four_workers_process_one_message_once(mailbox: Mailbox) -> None:
    outcome, message_id = services.inbound_store(
        mailbox=mailbox, uidvalidity=1, uid=1, raw=make_mail()
    )
    assert outcome == "stored"
    slow = Recorder()

    def handler(**payload: Any) -> None:
        time.sleep(0.2)  # hold the row lock while the others queue behind it
        slow(**payload)

    from qoldau.core import events

    events.subscribe(services.EVENT_INBOUND_RECEIVED, handler)
    try:
        results = _together(4, lambda: services.mail_process(message_id=message_id))
    finally:
        events._handlers[services.EVENT_INBOUND_RECEIVED].remove(handler)
    assert sorted(results) == ["already", "already", "already", "processed"]
    assert slow.calls == [message_id]
    assert slow.effects() == {message_id: 1}


def test_the_same_content_stored_twice_at_once_has_one_original(mailbox: Mailbox) -> None:
    raw = make_mail()
    uids = iter(range(1, 100))
    lock = threading.Lock()

    def store() -> tuple[str, int]:
        with lock:
            uid = next(uids)
        return services.inbound_store(mailbox=mailbox, uidvalidity=9, uid=uid, raw=raw)

    results = _together(4, store)
    assert sorted(r[0] for r in results) == ["duplicate", "duplicate", "duplicate", "stored"]
    assert InboundMessage.objects.filter(duplicate_of__isnull=True).count() == 1
    assert InboundMessage.objects.count() == 4


def test_two_outbox_workers_send_each_message_once(db: None) -> None:
    sent: list[str] = []
    lock = threading.Lock()

    class Slow:
        def send(self, envelope: Envelope) -> None:
            time.sleep(0.01)
            with lock:
                sent.append(envelope.message_id)

        def close(self) -> None:
            return None

    outbox_register_transport("slow", Slow)
    for n in range(30):
        outbox_enqueue(
            channel="slow", recipient="a@example.kz", subject="s", body="b", idempotency_key=f"{n}"
        )
    results = _together(3, lambda: outbox_deliver_due(limit=10).sent)
    while OutboxMessage.objects.filter(status="pending").exists():
        outbox_deliver_due()
    assert len(sent) == 30
    assert len(set(sent)) == 30
    assert sum(results) >= 10
