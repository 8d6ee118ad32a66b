"""The outbox (design rule 4): everything that leaves the system is a row written in the use
case's transaction and delivered after commit by a worker, with attempts, backoff and a stable id.

- ``outbox_enqueue(...)``: write a message inside the caller's transaction; a second call with the
  same ``idempotency_key`` returns the first row (nothing is queued twice). The Message-ID is made
  here, once, so every retry of a delivery carries the same one and the recipient's mail program
  recognises a repeated delivery as the same message.
- ``outbox_deliver_due(...)``: the periodic worker step. It claims due rows in a short transaction
  (``select_for_update(skip_locked=True)`` on PostgreSQL), hands each to the transport of its
  channel outside any transaction, then records the outcome in another short transaction. A crash
  after the transport accepted a message and before the outcome was recorded leaves the row
  "sending" with an expired lease; it is delivered again with the same Message-ID (at least once).
- A temporary failure (a 4xx answer, a refused connection) is retried after an exponential
  backoff; a permanent one (a 5xx answer) or the last allowed attempt marks the row failed, with
  its error and the attempt log, queryable by the object it belongs to (``outbox_for_related``).

Transports are registered per channel by the app that owns the channel (the mail app registers
"email" in its AppConfig.ready), so the kernel never imports a higher layer.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext_lazy as _

from qoldau.core import clock
from qoldau.core.errors import Conflict, NotFound
from qoldau.core.models import OutboxMessage, OutboxStatus

logger = logging.getLogger(__name__)

# How long a claimed row is reserved for the worker that claimed it (QOLDAU_OUTBOX_LEASE_SECONDS,
# default 5 minutes, longer than any SMTP timeout); after that it is due again.
DEFAULT_LEASE_SECONDS = 300
ATTEMPT_LOG_KEEP = 20
ERROR_KEEP_CHARS = 2000


# --- transports ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Envelope:
    """What a transport needs to deliver one message; no database object leaves this module."""

    outbox_id: int
    channel: str
    sender: str
    recipient: str
    subject: str
    body: str
    headers: Mapping[str, str]
    message_id: str
    language: str
    created_at: dt.datetime
    attempt: int


class DeliveryError(Exception):
    """A transport could not deliver; ``permanent`` says whether trying again can help."""

    permanent = False

    def __init__(self, message: str, *, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class TemporaryDeliveryError(DeliveryError):
    permanent = False


class PermanentDeliveryError(DeliveryError):
    permanent = True


class Transport(Protocol):
    """Delivers envelopes of one channel. ``send`` raises a ``DeliveryError`` when it cannot;
    any other exception counts as temporary. ``close`` ends a batch (e.g. an SMTP session)."""

    def send(self, envelope: Envelope) -> None: ...

    def close(self) -> None: ...


TransportFactory = Callable[[], Transport]
_transports: dict[str, TransportFactory] = {}


def outbox_register_transport(channel: str, factory: TransportFactory) -> None:
    """Set the transport of ``channel`` (call from an AppConfig.ready(); a later call replaces)."""
    _transports[channel] = factory


def outbox_transport(channel: str) -> Transport | None:
    factory = _transports.get(channel)
    return factory() if factory is not None else None


# --- settings -----------------------------------------------------------------------------------
def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def outbox_backoff(attempts: int) -> dt.timedelta:
    """Delay before the next attempt after ``attempts`` failed ones: base x 2^(n-1), capped."""
    base = _setting("QOLDAU_OUTBOX_BACKOFF_SECONDS", 60)
    cap = _setting("QOLDAU_OUTBOX_BACKOFF_MAX_SECONDS", 6 * 3600)
    exponent = min(max(attempts - 1, 0), 30)
    return dt.timedelta(seconds=min(base * 2**exponent, cap))


def _message_id_domain(sender: str) -> str:
    address = sender.rsplit("<", 1)[-1].rstrip(">").strip()
    if "@" in address:
        return address.rsplit("@", 1)[1].lower()
    default_from = str(getattr(settings, "QOLDAU_MAIL_FROM", ""))
    address = default_from.rsplit("<", 1)[-1].rstrip(">").strip()
    if "@" in address:
        return address.rsplit("@", 1)[1].lower()
    return "qoldau.invalid"


def outbox_make_message_id(sender: str = "") -> str:
    """A globally unique Message-ID in the sender's domain, e.g. ``<9f0c…@1414.kz>``."""
    return f"<{uuid.uuid4().hex}.qoldau@{_message_id_domain(sender)}>"


def related_reference(related: models.Model | tuple[str, Any] | None) -> tuple[str, str]:
    """("appeals.appeal", "42") for a model instance or an explicit (type, id) pair."""
    if related is None:
        return "", ""
    if isinstance(related, models.Model):
        meta = related._meta
        return f"{meta.app_label}.{meta.model_name}", str(related.pk)
    kind, pk = related
    return str(kind), str(pk)


# --- enqueue ------------------------------------------------------------------------------------
def outbox_enqueue(
    *,
    channel: str,
    recipient: str,
    subject: str,
    body: str,
    idempotency_key: str,
    headers: Mapping[str, str] | None = None,
    sender: str = "",
    category: str = "",
    language: str = "",
    related: models.Model | tuple[str, Any] | None = None,
    max_attempts: int | None = None,
    not_before: dt.datetime | None = None,
) -> OutboxMessage:
    """Queue a message inside the caller's transaction (it leaves only if that commits).

    The same ``idempotency_key`` again returns the row queued first, unchanged; the same key for
    another recipient or channel is a programming error and raises ``Conflict``."""
    if not idempotency_key:
        raise Conflict("outbox_key_missing", _("An outgoing message needs an idempotency key."))
    existing = OutboxMessage.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return _same_or_conflict(existing, channel=channel, recipient=recipient)
    related_type, related_id = related_reference(related)
    now = clock.now()
    row = OutboxMessage(
        channel=channel,
        category=category,
        idempotency_key=idempotency_key,
        sender=sender,
        recipient=recipient,
        subject=subject,
        body=body,
        headers={str(k): str(v) for k, v in (headers or {}).items()},
        language=language,
        message_id=outbox_make_message_id(sender),
        related_type=related_type,
        related_id=related_id,
        status=OutboxStatus.PENDING,
        max_attempts=max_attempts or _setting("QOLDAU_OUTBOX_MAX_ATTEMPTS", 10),
        next_attempt_at=max(now, not_before) if not_before else now,
    )
    try:
        with transaction.atomic():
            row.save(force_insert=True)
    except IntegrityError:
        # Another transaction queued the same key between our read and our insert.
        existing = OutboxMessage.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return _same_or_conflict(existing, channel=channel, recipient=recipient)
    return row


@dataclass(frozen=True)
class OutboxDraft:
    """One new message for ``outbox_new_rows`` (the arguments of ``outbox_enqueue``)."""

    channel: str
    recipient: str
    subject: str
    body: str
    idempotency_key: str
    headers: Mapping[str, str] | None = None
    sender: str = ""
    category: str = ""
    language: str = ""
    related: models.Model | tuple[str, Any] | None = None


def outbox_new_rows(drafts: Iterable[OutboxDraft]) -> list[dict[str, Any]]:
    """The outbox rows of messages whose keys cannot exist yet (each names an object made in
    the caller's transaction: a group commit's acknowledgements), as plain mappings with their
    Message-IDs made here, for the caller to write in its own statement
    (``core.bulk.insert_rows`` or ``insert_statement``). Nothing is read: a key that does exist
    after all fails the caller's transaction on the unique index, it is never queued twice."""
    now = clock.now()
    max_attempts = _setting("QOLDAU_OUTBOX_MAX_ATTEMPTS", 10)
    rows: list[dict[str, Any]] = []
    for draft in drafts:
        if not draft.idempotency_key:
            raise Conflict("outbox_key_missing", _("An outgoing message needs an idempotency key."))
        related_type, related_id = related_reference(draft.related)
        rows.append(
            {
                "channel": draft.channel,
                "category": draft.category,
                "idempotency_key": draft.idempotency_key,
                "sender": draft.sender,
                "recipient": draft.recipient,
                "subject": draft.subject,
                "body": draft.body,
                "headers": {str(k): str(v) for k, v in (draft.headers or {}).items()},
                "language": draft.language,
                "message_id": outbox_make_message_id(draft.sender),
                "related_type": related_type,
                "related_id": related_id,
                "status": OutboxStatus.PENDING.value,
                "max_attempts": max_attempts,
                "next_attempt_at": now,
                "created_at": now,
                "updated_at": now,
            }
        )
    return rows


def _same_or_conflict(existing: OutboxMessage, *, channel: str, recipient: str) -> OutboxMessage:
    if existing.channel != channel or existing.recipient.lower() != recipient.lower():
        raise Conflict(
            "outbox_key_reused",
            _("This idempotency key was already used for another message."),
            params={"key": existing.idempotency_key},
        )
    return existing


# --- delivery -----------------------------------------------------------------------------------
@dataclass
class DeliveryReport:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    message_ids: list[str] = field(default_factory=list)


def _claim(*, limit: int, channel: str | None) -> list[OutboxMessage]:
    """Reserve up to ``limit`` due rows for this worker (one short transaction)."""
    now = clock.now()
    lease = dt.timedelta(seconds=_setting("QOLDAU_OUTBOX_LEASE_SECONDS", DEFAULT_LEASE_SECONDS))
    with transaction.atomic(durable=True):
        due = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(
                status__in=[OutboxStatus.PENDING, OutboxStatus.SENDING],
                next_attempt_at__lte=now,
            )
            .order_by("next_attempt_at", "pk")
        )
        if channel is not None:
            due = due.filter(channel=channel)
        claimed: list[OutboxMessage] = []
        for row in due[:limit]:
            if row.attempts >= row.max_attempts:
                # The last allowed attempt was interrupted (the worker died while sending).
                _finish_failed(row, now=now, error="interrupted during the last attempt")
                continue
            row.status = OutboxStatus.SENDING
            row.attempts += 1
            row.last_attempt_at = now
            row.next_attempt_at = now + lease
            row.save(
                update_fields=[
                    "status",
                    "attempts",
                    "last_attempt_at",
                    "next_attempt_at",
                    "updated_at",
                ]
            )
            claimed.append(row)
    return claimed


def _envelope(row: OutboxMessage) -> Envelope:
    return Envelope(
        outbox_id=row.pk,
        channel=row.channel,
        sender=row.sender,
        recipient=row.recipient,
        subject=row.subject,
        body=row.body,
        headers=dict(row.headers or {}),
        message_id=row.message_id,
        language=row.language,
        created_at=row.created_at,
        attempt=row.attempts,
    )


def _log_attempt(row: OutboxMessage, *, at: dt.datetime, ok: bool, error: str = "") -> None:
    entry: dict[str, Any] = {"attempt": row.attempts, "at": at.isoformat(), "ok": ok}
    if error:
        entry["error"] = error[:500]
    row.attempt_log = [*list(row.attempt_log or []), entry][-ATTEMPT_LOG_KEEP:]


def _finish_failed(row: OutboxMessage, *, now: dt.datetime, error: str) -> None:
    _log_attempt(row, at=now, ok=False, error=error)
    row.status = OutboxStatus.FAILED
    row.failed_at = now
    row.next_attempt_at = None
    row.last_error = error[:ERROR_KEEP_CHARS]
    row.save(
        update_fields=[
            "status",
            "failed_at",
            "next_attempt_at",
            "last_error",
            "attempt_log",
            "updated_at",
        ]
    )


def _record(row_id: int, attempt: int, error: DeliveryError | None) -> str:
    """Write the outcome of one attempt; returns "sent", "retried", "failed" or "stale"."""
    now = clock.now()
    with transaction.atomic(durable=True):
        row = OutboxMessage.objects.select_for_update().filter(pk=row_id).first()
        if row is None or row.status != OutboxStatus.SENDING or row.attempts != attempt:
            return "stale"  # another worker took it over after our lease ran out
        if error is None:
            _log_attempt(row, at=now, ok=True)
            row.status = OutboxStatus.SENT
            row.sent_at = now
            row.next_attempt_at = None
            row.last_error = ""
            row.save(
                update_fields=[
                    "status",
                    "sent_at",
                    "next_attempt_at",
                    "last_error",
                    "attempt_log",
                    "updated_at",
                ]
            )
            return "sent"
        text = str(error)
        if error.permanent or row.attempts >= row.max_attempts:
            _finish_failed(row, now=now, error=text)
            return "failed"
        _log_attempt(row, at=now, ok=False, error=text)
        row.status = OutboxStatus.PENDING
        row.next_attempt_at = now + outbox_backoff(row.attempts)
        row.last_error = text[:ERROR_KEEP_CHARS]
        row.save(
            update_fields=["status", "next_attempt_at", "last_error", "attempt_log", "updated_at"]
        )
        return "retried"


def _send(transport: Transport, envelope: Envelope) -> DeliveryError | None:
    try:
        transport.send(envelope)
    except DeliveryError as exc:
        return exc
    except Exception as exc:  # a transport bug or an unexpected network error: try again later
        logger.warning(
            "outbox %s: %s during delivery", envelope.outbox_id, type(exc).__name__, exc_info=True
        )
        return TemporaryDeliveryError(f"{type(exc).__name__}: {exc}")
    return None


def outbox_deliver_due(*, limit: int = 100, channel: str | None = None) -> DeliveryReport:
    """Deliver what is due (the periodic worker step). Safe to run in several workers at once."""
    report = DeliveryReport()
    rows = _claim(limit=limit, channel=channel)
    report.claimed = len(rows)
    transports: dict[str, Transport | None] = {}
    try:
        for row in rows:
            error: DeliveryError | None
            if row.channel not in transports:
                try:
                    transports[row.channel] = outbox_transport(row.channel)
                except Exception as exc:  # a misconfigured adapter: keep the rows, retry later
                    logger.exception("outbox: the %s transport cannot be built", row.channel)
                    transports[row.channel] = None
                    error = TemporaryDeliveryError(f"{type(exc).__name__}: {exc}")
                    _record(row.pk, row.attempts, error)
                    report.retried += 1
                    continue
            transport = transports[row.channel]
            if transport is None:
                error = TemporaryDeliveryError(f"no transport for the channel {row.channel!r}")
            else:
                error = _send(transport, _envelope(row))
            outcome = _record(row.pk, row.attempts, error)
            if outcome == "sent":
                report.sent += 1
                report.message_ids.append(row.message_id)
            elif outcome == "retried":
                report.retried += 1
            elif outcome == "failed":
                report.failed += 1
                logger.warning("outbox %s: delivery failed for good: %s", row.pk, error)
    finally:
        for transport in transports.values():
            if transport is not None:
                try:
                    transport.close()
                except Exception:  # closing a broken session must not hide the results
                    logger.debug("outbox: closing a transport failed", exc_info=True)
    return report


def outbox_retry(*, outbox_id: int, extra_attempts: int = 3) -> OutboxMessage:
    """Queue a failed message again (an operator's decision), keeping its Message-ID."""
    with transaction.atomic(durable=True):
        row = OutboxMessage.objects.select_for_update().filter(pk=outbox_id).first()
        if row is None:
            raise NotFound("outbox_not_found", _("No such outgoing message."))
        if row.status != OutboxStatus.FAILED:
            raise Conflict("outbox_not_failed", _("Only a failed message can be sent again."))
        row.status = OutboxStatus.PENDING
        row.max_attempts = row.attempts + max(extra_attempts, 1)
        row.next_attempt_at = clock.now()
        row.failed_at = None
        row.save(
            update_fields=["status", "max_attempts", "next_attempt_at", "failed_at", "updated_at"]
        )
    return row


def outbox_mark_bounced(*, message_id: str, reason: str) -> OutboxMessage | None:
    """A delivery status notification came back for a message we sent: record it as failed.

    Runs inside the caller's transaction (the mail app calls it while processing the bounce).
    Returns the row, or None when the Message-ID is not one of ours."""
    row = OutboxMessage.objects.select_for_update().filter(message_id=message_id).first()
    if row is None:
        return None
    _finish_failed(row, now=clock.now(), error=f"bounced: {reason}")
    return row


# --- reads --------------------------------------------------------------------------------------
def outbox_for_related(
    related: models.Model | tuple[str, Any], *, statuses: Iterable[str] | None = None
) -> list[OutboxMessage]:
    """Messages queued for an object (an appeal), oldest first; e.g. its failed deliveries with
    ``statuses=[OutboxStatus.FAILED]``."""
    related_type, related_id = related_reference(related)
    rows = OutboxMessage.objects.filter(related_type=related_type, related_id=related_id)
    if statuses is not None:
        rows = rows.filter(status__in=list(statuses))
    return list(rows.order_by("created_at", "pk"))


def outbox_failed_for_related(related: models.Model | tuple[str, Any]) -> list[OutboxMessage]:
    return outbox_for_related(related, statuses=[OutboxStatus.FAILED])


def outbox_count_recent(*, category: str, recipient: str, since: dt.datetime) -> int:
    """How many messages of ``category`` were queued for ``recipient`` since ``since``."""
    return OutboxMessage.objects.filter(
        category=category, recipient__iexact=recipient, created_at__gte=since
    ).count()


def outbox_get(*, message_id: str) -> OutboxMessage | None:
    """The queued message with this Message-ID (a bounce names it), if it is ours."""
    return OutboxMessage.objects.filter(message_id=message_id).first()
