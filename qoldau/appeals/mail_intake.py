"""E-mail appeals (R9): the mail app publishes "mail.inbound_received" with ``message=`` once per
stored message, inside its processing transaction; this handler opens an appeal from it or
threads it into an existing one, and acknowledges new appeals (RFC 3834 rules).

The message is the mail app's ``InboundMessage``; the handler reads only these fields:
``pk``, ``message_id``, ``in_reply_to``, ``references`` (str or list), ``subject``,
``from_address``, ``from_name``, ``text``, ``language`` ("kk"/"ru"/""), ``received_at``,
``classification`` ("" for a person's mail; "auto_reply", "bounce", "list", "own" otherwise)
or the booleans ``is_auto_reply``/``is_bounce``/``is_list``/``is_own``, ``is_malformed`` and
``attachments`` (an iterable or a manager of objects with ``filename``, ``content_type``,
``size``, ``pk``).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.conf import settings
from django.db import transaction

from qoldau.appeals.enums import Channel
from qoldau.appeals.inputs import AppealInput
from qoldau.appeals.models import Appeal, AppealAttachment, AppealMessage, Notification
from qoldau.appeals.selectors import appeal_find_by_number_in_text
from qoldau.appeals.services import appeal_acknowledge, appeal_event_add, appeal_register_cleaned
from qoldau.core import clock, events

EVENT = "mail.inbound_received"
NO_ACK_CLASSES = frozenset({"auto_reply", "bounce", "list", "own"})
_ID = re.compile(r"<[^<>\s]+>")


def subscribe_to_mail() -> None:
    events.subscribe(EVENT, handle_inbound_received)


def handle_inbound_received(*, message: Any, **extra: Any) -> None:
    on_inbound_received(message=message, **extra)


def _ids(value: Any) -> list[str]:
    if not value:
        return []
    if isinstance(value, list | tuple):
        value = " ".join(str(v) for v in value)
    text = str(value)
    found = _ID.findall(text)
    return found or [part for part in text.split() if part]


def _classification(message: Any) -> str:
    value = str(getattr(message, "classification", "") or "")
    if value:
        return value
    for name in NO_ACK_CLASSES:
        if getattr(message, f"is_{name}", False):
            return name
    return ""


def _thread_target(message: Any) -> Appeal | None:
    """The appeal a reply belongs to: by In-Reply-To/References, else by a number in the subject."""
    ids = _ids(getattr(message, "in_reply_to", "")) + _ids(getattr(message, "references", ""))
    if ids:
        link = (
            AppealMessage.objects.filter(message_id__in=ids)
            .select_related("appeal")
            .order_by("-received_at")
            .first()
        )
        if link is not None:
            return link.appeal
        sent = (
            Notification.objects.filter(outbox_message_id__in=ids)
            .select_related("appeal")
            .order_by("-created_at")
            .first()
        )
        if sent is not None:
            return sent.appeal
    return appeal_find_by_number_in_text(str(getattr(message, "subject", "") or ""))


def _ack_rate_exceeded(sender: str, now: dt.datetime) -> bool:
    limit = int(getattr(settings, "APPEALS_ACK_PER_SENDER_PER_HOUR", 3))
    recent = Notification.objects.filter(
        code="acknowledgement", recipient=sender, created_at__gte=now - dt.timedelta(hours=1)
    ).count()
    return recent >= limit


def _attachments(message: Any) -> list[Any]:
    items = getattr(message, "attachments", None)
    if items is None:
        return []
    if hasattr(items, "all"):
        items = items.all()
    return list(items)


def on_inbound_received(*, message: Any, **_extra: Any) -> Appeal | None:
    """Create or thread; a second call for the same message does nothing (unique link row)."""
    inbound_id = int(message.pk)
    if AppealMessage.objects.filter(inbound_message_id=inbound_id).exists():
        return None
    classification = _classification(message)
    received_at = getattr(message, "received_at", None) or clock.now()
    sender = str(getattr(message, "from_address", "") or "").strip().lower()[:254]
    message_id = str(getattr(message, "message_id", "") or "")[:998]
    with transaction.atomic():
        target = _thread_target(message)
        if target is not None:
            AppealMessage.objects.create(
                appeal=target,
                inbound_message_id=inbound_id,
                message_id=message_id,
                received_at=received_at,
            )
            appeal_event_add(appeal=target, code="email_reply", params={"message": inbound_id})
            _link_attachments(target, message)
            return target
        mailbox = getattr(message, "mailbox", None)
        language = str(
            getattr(message, "language", "") or getattr(mailbox, "default_language", "") or ""
        )
        text = str(getattr(message, "text", "") or "").strip()
        subject = str(getattr(message, "subject", "") or "").strip()
        cleaned = AppealInput(
            channel=Channel.EMAIL,
            content=(text or subject or "(—)")[:20_000],
            received_at=received_at,
            applicant_name=str(getattr(message, "from_name", "") or "")[:200],
            applicant_email=sender if "@" in sender else "",
            language=language if language in ("kk", "ru", "en") else "kk",
            subject=subject[:300],
        )
        appeal = appeal_register_cleaned(actor=None, cleaned=cleaned, acknowledge=False)
        AppealMessage.objects.create(
            appeal=appeal,
            inbound_message_id=inbound_id,
            message_id=message_id,
            created_appeal=True,
            received_at=received_at,
        )
        _link_attachments(appeal, message)
        if getattr(message, "is_malformed", False):
            appeal_event_add(appeal=appeal, code="malformed_mail", public=False)
        if (
            appeal.applicant_email
            and classification not in NO_ACK_CLASSES
            and not _ack_rate_exceeded(appeal.applicant_email, clock.now())
        ):
            appeal_acknowledge(appeal=appeal, in_reply_to=message_id)
        return appeal


def _link_attachments(appeal: Appeal, message: Any) -> None:
    now = clock.now()
    for item in _attachments(message):
        AppealAttachment.objects.create(
            appeal=appeal,
            name=str(getattr(item, "filename", "") or getattr(item, "name", "") or "file")[:255],
            content_type=str(getattr(item, "content_type", "") or "application/octet-stream")[:100],
            size=int(getattr(item, "size", 0) or 0),
            source=f"mail:{getattr(item, 'pk', '')}",
            added_at=now,
        )
