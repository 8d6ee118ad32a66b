"""Outbound mail through the outbox to a real SMTP peer (aiosmtpd on a loopback port): delivery,
retry after a 4xx with the same Message-ID, a permanent 5xx recorded, a peer that is down."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

import pytest
import time_machine

from qoldau.core.models import OutboxMessage, OutboxStatus
from qoldau.core.outbox import outbox_deliver_due, outbox_enqueue, outbox_failed_for_related
from qoldau.mail import services
from qoldau.mail.models import InboundMessage, Mailbox
from qoldau.mail.tasks import deliver_outbox
from qoldau.mail.tests.conftest import SmtpPeer, free_port, make_mail

pytestmark = pytest.mark.django_db


def _parsed(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def _ack(mailbox: Mailbox, memory: object, recipient: str = "aigul@example.kz") -> OutboxMessage:
    from qoldau.mail.adapters.memory import memory_server

    memory_server.deliver(
        "hotline",
        make_mail(sender=f"Айгүл <{recipient}>", message_id="<citizen-1@example.kz>"),
    )
    services.mail_poll(mailbox_id=mailbox.pk)
    message = InboundMessage.objects.get()
    row = services.mail_auto_reply_enqueue(
        message=message,
        subject="Өтінішіңіз тіркелді № 2024-000001",
        body="Сіздің өтінішіңіз тіркелді. Жауап екі жұмыс күні ішінде беріледі.",
    )
    assert row is not None
    return row


def test_an_acknowledgement_is_delivered_with_its_headers(
    mailbox: Mailbox, memory: object, smtp_peer: SmtpPeer
) -> None:
    row = _ack(mailbox, memory)
    report = deliver_outbox()
    assert (report.sent, report.failed) == (1, 0)
    assert report.message_ids == [row.message_id]
    row.refresh_from_db()
    assert row.status == OutboxStatus.SENT
    assert row.attempts == 1
    [raw] = smtp_peer.received
    sent = _parsed(raw)
    assert sent["Message-ID"] == row.message_id
    assert sent["From"].addresses[0].addr_spec == "info@1414.test"
    assert sent["To"] == "aigul@example.kz"
    assert sent["Subject"] == "Өтінішіңіз тіркелді № 2024-000001"
    assert sent["In-Reply-To"] == "<citizen-1@example.kz>"
    assert sent["References"] == "<citizen-1@example.kz>"
    assert sent["Auto-Submitted"] == "auto-replied"
    assert sent["X-Loop"] == "info@1414.test"
    assert sent["Content-Language"] == "kk"
    body = sent.get_body()
    assert body is not None
    assert "екі жұмыс күні" in body.get_content()


def test_a_deferred_delivery_is_retried_with_the_same_message_id(
    db: None, smtp_peer: SmtpPeer
) -> None:
    smtp_peer.defer = 2
    row = outbox_enqueue(
        channel="email",
        recipient="citizen@example.kz",
        subject="Жауап",
        body="Мәтін",
        idempotency_key="answer-1",
    )
    with time_machine.travel("2024-03-01 10:00:00+00:00", tick=False):
        row.next_attempt_at = None
        OutboxMessage.objects.filter(pk=row.pk).update(next_attempt_at="2024-03-01T10:00:00Z")
        assert outbox_deliver_due().retried == 1
        row.refresh_from_db()
        assert (row.status, row.attempts) == (OutboxStatus.PENDING, 1)
        assert row.last_error.startswith("451")
        assert outbox_deliver_due().claimed == 0  # backing off
    with time_machine.travel("2024-03-01 10:01:01+00:00", tick=False):
        assert outbox_deliver_due().retried == 1
    with time_machine.travel("2024-03-01 10:03:02+00:00", tick=False):
        assert outbox_deliver_due().sent == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutboxStatus.SENT, 3)
    assert smtp_peer.attempts == 3
    [raw] = smtp_peer.received
    assert _parsed(raw)["Message-ID"] == row.message_id
    assert [entry["ok"] for entry in row.attempt_log] == [False, False, True]


def test_a_refused_recipient_is_a_permanent_failure_queryable_by_its_object(
    mailbox: Mailbox, memory: object, smtp_peer: SmtpPeer
) -> None:
    smtp_peer.reject = {"nobody@example.kz"}
    row = _ack(mailbox, memory, recipient="nobody@example.kz")
    report = outbox_deliver_due()
    assert (report.sent, report.failed) == (0, 1)
    row.refresh_from_db()
    assert row.status == OutboxStatus.FAILED
    assert row.attempts == 1
    assert row.last_error.startswith("550")
    assert row.failed_at is not None
    message = InboundMessage.objects.get()
    assert outbox_failed_for_related(message) == [row]
    assert smtp_peer.received == []


def test_a_peer_that_is_down_is_retried_until_the_attempts_run_out(
    db: None, settings: object
) -> None:
    from django.test import override_settings

    with override_settings(
        QOLDAU_SMTP_HOST="127.0.0.1",
        QOLDAU_SMTP_PORT=free_port(),  # nothing listens there
        QOLDAU_SMTP_SECURITY="none",
        QOLDAU_MAIL_TRANSPORT="qoldau.mail.adapters.smtp.SmtpTransport",
    ):
        row = outbox_enqueue(
            channel="email",
            recipient="citizen@example.kz",
            subject="x",
            body="y",
            idempotency_key="down-1",
            max_attempts=2,
        )
        with time_machine.travel("2024-03-01 10:00:00+00:00", tick=False):
            OutboxMessage.objects.filter(pk=row.pk).update(next_attempt_at="2024-03-01T10:00Z")
            assert outbox_deliver_due().retried == 1
        with time_machine.travel("2024-03-01 11:00:00+00:00", tick=False):
            assert outbox_deliver_due().failed == 1
    row.refresh_from_db()
    assert row.status == OutboxStatus.FAILED
    assert "ConnectionRefusedError" in row.last_error


def test_a_bad_recipient_address_fails_without_a_connection(db: None, smtp_peer: SmtpPeer) -> None:
    row = outbox_enqueue(
        channel="email", recipient="not an address", subject="x", body="y", idempotency_key="bad"
    )
    assert outbox_deliver_due().failed == 1
    row.refresh_from_db()
    assert "not an e-mail address" in row.last_error
    assert smtp_peer.attempts == 0


def test_header_injection_is_neutralised(db: None, smtp_peer: SmtpPeer) -> None:
    outbox_enqueue(
        channel="email",
        recipient="citizen@example.kz",
        subject="Hello\r\nBcc: victim@example.kz",
        body="x",
        headers={"X-Test": "a\nBcc: victim@example.kz", "Bad Header": "x"},
        idempotency_key="inject",
    )
    assert outbox_deliver_due().sent == 1
    sent = _parsed(smtp_peer.received[0])
    assert sent["Bcc"] is None
    assert sent["Subject"] == "Hello Bcc: victim@example.kz"
