"""E-mail intake (R9): exactly once per message, threading, RFC 3834 acknowledgements."""

from __future__ import annotations

from typing import Any

import pytest

from qoldau.appeals.mail_intake import EVENT, on_inbound_received
from qoldau.appeals.models import Appeal, AppealMessage, Notification
from qoldau.core import clock, events
from qoldau.core.models import OutboxMessage
from qoldau.mail.models import InboundAttachment, InboundMessage, Mailbox

pytestmark = pytest.mark.django_db


_seq = iter(range(1, 1_000_000))


def inbound(
    *,
    message_id: str,
    subject: str = "Вопрос по справке",
    from_address: str = "Citizen@Example.kz",
    text: str = "Здравствуйте! Как получить справку?",
    language: str = "ru",
    in_reply_to: str = "",
    references: list[str] | None = None,
    classification: str = "normal",
    attachments: tuple[tuple[str, str, int], ...] = (),
) -> InboundMessage:
    """A stored inbound message as the mail app keeps it (its model is the contract)."""
    mailbox, _created = Mailbox.objects.get_or_create(
        name="1414", defaults={"kind": "memory", "address": "info@1414.kz"}
    )
    n = next(_seq)
    message = InboundMessage.objects.create(
        mailbox=mailbox,
        uidvalidity=1,
        uid=n,
        message_id=message_id,
        sha256=f"{n:064d}",
        size=100,
        received_at=clock.now(),
        from_address=from_address,
        from_name="Айгерим",
        subject=subject,
        in_reply_to=in_reply_to,
        references=references or [],
        language=language,
        classification=classification,
        text=text,
    )
    for position, (name, content_type, size) in enumerate(attachments):
        InboundAttachment.objects.create(
            message=message,
            position=position,
            filename=name,
            content_type=content_type,
            size=size,
            sha256="0" * 64,
            file=f"mail/{name}",
        )
    return message


def test_the_handler_is_subscribed() -> None:
    assert any(h.__name__ == "handle_inbound_received" for h in events.subscribers(EVENT))


def test_a_message_opens_one_appeal_and_is_acknowledged_once() -> None:
    message = inbound(
        message_id="<a1@example.kz>", attachments=(("scan.pdf", "application/pdf", 1000),)
    )
    events.publish(EVENT, message=message)
    events.publish(EVENT, message=message)  # a second delivery of the same message
    appeal = Appeal.objects.get()
    assert appeal.channel == "email"
    assert appeal.applicant_email == "citizen@example.kz"
    assert appeal.language == "ru"
    assert appeal.attachments.get().source == f"mail:{message.attachments.get().pk}"
    assert AppealMessage.objects.count() == 1
    ack = Notification.objects.get(code="acknowledgement")
    assert ack.language == "ru"
    assert ack.recipient == "citizen@example.kz"
    # Handed to the outbox once, in the same transaction, threaded to the citizen's message.
    queued = OutboxMessage.objects.get(idempotency_key=ack.outbox_key)
    assert queued.headers["In-Reply-To"] == "<a1@example.kz>"
    assert queued.headers["Auto-Submitted"] == "auto-replied"
    assert appeal.number in queued.subject
    assert ack.outbox_message_id == queued.message_id


def test_a_reply_to_our_acknowledgement_threads_into_the_appeal() -> None:
    first = on_inbound_received(message=inbound(message_id="<a1@example.kz>"))
    ack = Notification.objects.get(code="acknowledgement")
    reply = inbound(message_id="<r@example.kz>", in_reply_to=ack.outbox_message_id)
    assert on_inbound_received(message=reply) == first
    assert Appeal.objects.count() == 1


def test_replies_thread_by_references_and_by_number_in_subject() -> None:
    first = on_inbound_received(message=inbound(message_id="<a1@example.kz>"))
    assert first is not None
    reply = inbound(message_id="<a2@example.kz>", references=["<x@y>", "<a1@example.kz>"])
    assert on_inbound_received(message=reply) == first
    by_subject = inbound(message_id="<a3@other.kz>", subject=f"Re: обращение {first.number}")
    assert on_inbound_received(message=by_subject) == first
    assert Appeal.objects.count() == 1
    assert first.events.filter(code="email_reply").count() == 2
    assert Notification.objects.filter(code="acknowledgement").count() == 1


@pytest.mark.parametrize("kind", ["auto_reply", "bounce", "list", "own"])
def test_no_acknowledgement_to_automatic_mail(kind: str) -> None:
    on_inbound_received(message=inbound(message_id="<b@x>", classification=kind))
    assert Appeal.objects.count() == 1
    assert Notification.objects.count() == 0


def test_per_sender_rate_limit(settings: Any) -> None:
    settings.APPEALS_ACK_PER_SENDER_PER_HOUR = 2
    for n in range(1, 5):
        on_inbound_received(message=inbound(message_id=f"<m{n}@x>", subject=f"Q{n}"))
    assert Appeal.objects.count() == 4
    assert Notification.objects.filter(code="acknowledgement").count() == 2


def test_kazakh_acknowledgement_text() -> None:
    from qoldau.appeals.notify import notification_render

    on_inbound_received(message=inbound(message_id="<k@x>", language="kk"))
    subject, body = notification_render(Notification.objects.get())
    assert "тіркелді" in subject
    assert Appeal.objects.get().number in body
