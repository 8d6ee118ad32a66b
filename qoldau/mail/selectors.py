"""Reads of the mail app: what is left to do, the raw bytes of a message, and the RFC 3834
helpers the appeals app uses to acknowledge a message (who may get an automatic answer, and the
headers that answer carries)."""

from __future__ import annotations

import datetime as dt
from email.utils import parseaddr

from django.conf import settings
from django.core.files.storage import default_storage
from django.db.models import Q

from qoldau.core import clock
from qoldau.core.outbox import outbox_count_recent
from qoldau.mail.enums import InboundStatus, MailboxKind
from qoldau.mail.models import InboundMessage, Mailbox

AUTO_REPLY_CATEGORY = "mail.auto_reply"
AUTO_REPLY_WINDOW = dt.timedelta(hours=24)


def mailbox_list_active() -> list[Mailbox]:
    """Mailboxes the poller reads (imported files have no server to poll)."""
    return list(
        Mailbox.objects.filter(is_active=True).exclude(kind=MailboxKind.IMPORT).order_by("pk")
    )


def mail_own_addresses() -> frozenset[str]:
    """Every address that is ours: mail from them is our own (RFC 3834 loop protection)."""
    addresses = {
        a.lower() for a in Mailbox.objects.exclude(address="").values_list("address", flat=True)
    }
    sender = parseaddr(str(getattr(settings, "QOLDAU_MAIL_FROM", "") or ""))[1]
    if "@" in sender:
        addresses.add(sender.lower())
    return frozenset(addresses)


def inbound_ids_to_process(
    *, mailbox_id: int | None = None, at: dt.datetime | None = None, limit: int = 500
) -> list[int]:
    """Stored messages whose processing is due (new ones, and failed ones after their backoff)."""
    moment = at or clock.now()
    rows = InboundMessage.objects.filter(status=InboundStatus.STORED).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=moment)
    )
    if mailbox_id is not None:
        rows = rows.filter(mailbox_id=mailbox_id)
    return list(rows.order_by("pk").values_list("pk", flat=True)[:limit])


def inbound_ids_to_acknowledge(*, mailbox_id: int, limit: int = 500) -> list[int]:
    """Processed messages not yet marked on the server."""
    return list(
        InboundMessage.objects.filter(mailbox_id=mailbox_id, status=InboundStatus.PROCESSED)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )


def inbound_stuck_list(*, min_attempts: int = 3) -> list[InboundMessage]:
    """Messages whose processing failed several times: for the administrator to look at."""
    return list(
        InboundMessage.objects.filter(
            status=InboundStatus.STORED, process_attempts__gte=min_attempts
        ).order_by("pk")
    )


def inbound_raw(message: InboundMessage) -> bytes:
    """The raw bytes as received (a duplicate reads its original's)."""
    if message.raw is not None:
        return bytes(message.raw)
    if message.raw_file:
        with default_storage.open(message.raw_file.name, "rb") as handle:
            data: bytes = handle.read()
            return data
    if message.duplicate_of_id is not None:
        original = InboundMessage.objects.get(pk=message.duplicate_of_id)
        return inbound_raw(original)
    return b""


def mail_auto_reply_limit() -> int:
    """At most this many automatic answers per sender in 24 hours (a loop breaker)."""
    return int(getattr(settings, "QOLDAU_MAIL_AUTO_REPLY_LIMIT", 5))


def mail_reply_address(message: InboundMessage) -> str:
    return message.reply_to or message.from_address


def mail_auto_reply_allowed(*, message: InboundMessage, at: dt.datetime | None = None) -> bool:
    """RFC 3834: no automatic answer to auto-replies, bounces, lists or our own mail, none to a
    message without a sender, and at most ``QOLDAU_MAIL_AUTO_REPLY_LIMIT`` per sender a day."""
    recipient = mail_reply_address(message)
    if message.is_automated or "@" not in recipient or message.duplicate_of_id is not None:
        return False
    if recipient.lower() in mail_own_addresses():
        return False
    since = (at or clock.now()) - AUTO_REPLY_WINDOW
    sent = outbox_count_recent(category=AUTO_REPLY_CATEGORY, recipient=recipient, since=since)
    return sent < mail_auto_reply_limit()


def mail_reply_headers(*, message: InboundMessage, automatic: bool = True) -> dict[str, str]:
    """Headers of our answer to ``message``: threading (In-Reply-To, References) and, for an
    automatic answer, RFC 3834's Auto-Submitted plus X-Loop with our address."""
    headers: dict[str, str] = {}
    references = [r for r in (message.references or []) if isinstance(r, str)]
    if message.message_id:
        headers["In-Reply-To"] = message.message_id
        references = [*references, message.message_id]
    if references:
        headers["References"] = " ".join(references[-20:])
    if automatic:
        headers["Auto-Submitted"] = "auto-replied"
        headers["X-Auto-Response-Suppress"] = "All"
        loop = (
            message.mailbox.address or parseaddr(str(getattr(settings, "QOLDAU_MAIL_FROM", "")))[1]
        )
        if loop:
            headers["X-Loop"] = loop
    return headers
