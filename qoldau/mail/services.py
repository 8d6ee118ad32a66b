"""The e-mail intake pipeline (R9): store, process, acknowledge on the server — three steps,
each idempotent, so a crash anywhere repeats nothing that completed and loses nothing.

1. ``mail_fetch``: every new UID is fetched (without setting \\Seen) and its raw bytes stored,
   one committed transaction per message, keyed by (mailbox, UIDVALIDITY, UID): a second run
   inserts nothing. Content already stored under another key (a new UIDVALIDITY, an import) is
   stored as a duplicate of the original and never handed on.
2. ``mail_process``: one transaction that locks the row and returns at once if it was processed:
   parse, store attachments, publish ``mail.inbound_received`` (the appeals app opens or threads
   the appeal inside this same transaction), then mark processed. If anything raises, nothing is
   marked and the message is tried again after a backoff.
3. ``mail_acknowledge_on_server``: only for processed messages: \\Seen or a move on the server,
   then recorded. Never an expunge or a delete.

``mail_poll`` runs the three for one mailbox, including anything left over by an earlier crash.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext_lazy as _

from qoldau.audit.services import audit_record
from qoldau.core import clock, events
from qoldau.core.errors import Conflict, NotFound
from qoldau.core.logging import mask_personal_data
from qoldau.core.models import OutboxMessage
from qoldau.core.outbox import outbox_enqueue, outbox_mark_bounced
from qoldau.mail import parsing, selectors
from qoldau.mail.enums import Classification, InboundStatus, MailboxKind
from qoldau.mail.models import InboundAttachment, InboundMessage, Mailbox
from qoldau.mail.ports import (
    FolderState,
    MailboxClient,
    MailboxSettings,
    MailboxUnavailable,
    mailbox_client,
)
from qoldau.mail.transitions import inbound_can_move

logger = logging.getLogger(__name__)

EVENT_INBOUND_RECEIVED = "mail.inbound_received"
_FETCH_CHUNK = 200


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def _error_text(exc: BaseException) -> str:
    return mask_personal_data(f"{type(exc).__name__}: {exc}")[:2000]


def _retry_delay(attempts: int) -> dt.timedelta:
    base = _setting("QOLDAU_MAIL_RETRY_SECONDS", 60)
    return dt.timedelta(seconds=min(base * 2 ** min(max(attempts - 1, 0), 20), 6 * 3600))


def _move(message: InboundMessage, target: str) -> None:
    if not inbound_can_move(message.status, target):
        raise Conflict(
            "mail_invalid_transition",
            _("This message cannot move to that state."),
            params={"from": message.status, "to": target},
        )
    message.status = target


# --- files --------------------------------------------------------------------------------------
def _store_content(folder: str, digest: str, data: bytes, suffix: str = "") -> str:
    """Save ``data`` under its hash (written once, shared by equal files) and flush it to disk."""
    name = f"mail/{folder}/{digest[:2]}/{digest}{suffix}"
    if not default_storage.exists(name):
        name = default_storage.save(name, ContentFile(data))
        try:
            path = default_storage.path(name)
        except NotImplementedError:
            return name  # remote storage: durability is the storage's business
        with Path(path).open("rb") as handle:
            os.fsync(handle.fileno())
    return name


# --- mailboxes ----------------------------------------------------------------------------------
def mailbox_settings(mailbox: Mailbox) -> MailboxSettings:
    return MailboxSettings(
        name=mailbox.name,
        address=mailbox.address,
        host=mailbox.host,
        port=mailbox.port,
        security=mailbox.security,
        username=mailbox.username,
        password_env=mailbox.password_env,
        folder=mailbox.folder,
        processed_folder=mailbox.processed_folder,
        maildir_path=mailbox.maildir_path,
    )


@contextmanager
def mailbox_session(mailbox: Mailbox) -> Iterator[tuple[MailboxClient, FolderState]]:
    """An open connection to the mailbox's folder, closed at the end."""
    client = mailbox_client(mailbox.kind, mailbox_settings(mailbox))
    try:
        state = client.open()
        yield client, state
    finally:
        client.close()


def _mailbox(mailbox_id: int) -> Mailbox:
    mailbox = Mailbox.objects.filter(pk=mailbox_id).first()
    if mailbox is None:
        raise NotFound("mailbox_not_found", _("No such mailbox."))
    return mailbox


# --- step 1: store ------------------------------------------------------------------------------
@dataclass
class FetchReport:
    uidvalidity: int = 0
    listed: int = 0
    stored: int = 0
    duplicates: int = 0
    already_stored: int = 0
    vanished: int = 0
    new_key_space: bool = False
    stored_ids: list[int] = field(default_factory=list)


def _raw_fields(raw: bytes, digest: str) -> dict[str, Any]:
    if len(raw) <= _setting("QOLDAU_MAIL_RAW_DB_MAX_BYTES", 1024 * 1024):
        return {"raw": raw, "raw_file": ""}
    return {"raw": None, "raw_file": _store_content("raw", digest, raw, ".eml")}


def inbound_store(*, mailbox: Mailbox, uidvalidity: int, uid: int, raw: bytes) -> tuple[str, int]:
    """Store one raw message durably (its own committed transaction). Returns ("stored" |
    "duplicate" | "exists", row id). Safe to call twice and from two workers at once."""
    key = {"mailbox": mailbox, "uidvalidity": uidvalidity, "uid": uid}
    existing = InboundMessage.objects.filter(**key).values_list("pk", flat=True).first()
    if existing is not None:
        return "exists", existing
    digest = parsing.content_sha256(raw)
    original = InboundMessage.objects.filter(sha256=digest, duplicate_of__isnull=True).first()
    # A duplicate's bytes are its original's; only an original keeps its own copy.
    raw_fields = {"raw": None, "raw_file": ""} if original else _raw_fields(raw, digest)
    row = InboundMessage(
        **key,
        message_id=parsing.quick_message_id(raw),
        sha256=digest,
        size=len(raw),
        received_at=clock.now(),
        duplicate_of=original,
        status=InboundStatus.STORED,
        **raw_fields,
    )
    with transaction.atomic(durable=True):
        try:
            with transaction.atomic():
                row.save(force_insert=True)
        except IntegrityError:
            # A concurrent fetch stored this UID, or the same content, first.
            existing = InboundMessage.objects.filter(**key).values_list("pk", flat=True).first()
            if existing is not None:
                return "exists", existing
            first = InboundMessage.objects.filter(sha256=digest, duplicate_of__isnull=True).first()
            if first is None:
                raise
            row.pk = None
            row.duplicate_of = first
            row.raw, row.raw_file = None, ""
            with transaction.atomic():
                row.save(force_insert=True)
    return ("duplicate" if row.duplicate_of_id else "stored"), row.pk


def _fetch(mailbox: Mailbox, client: MailboxClient, state: FolderState) -> FetchReport:
    report = FetchReport(uidvalidity=state.uidvalidity)
    if mailbox.sync_uidvalidity == state.uidvalidity:
        uids = client.uids_above(mailbox.sync_last_uid)
    else:
        # A first sync, or the server renumbered the folder: take what nobody has read yet.
        # Copies of messages we already hold become duplicates, never second appeals.
        report.new_key_space = True
        uids = client.unseen_uids()
    report.listed = len(uids)
    for start in range(0, len(uids), _FETCH_CHUNK):
        chunk = uids[start : start + _FETCH_CHUNK]
        known = set(
            InboundMessage.objects.filter(
                mailbox=mailbox, uidvalidity=state.uidvalidity, uid__in=chunk
            ).values_list("uid", flat=True)
        )
        for uid in chunk:
            if uid in known:
                report.already_stored += 1
                continue
            raw = client.fetch(uid)
            if raw is None:
                report.vanished += 1
                continue
            outcome, row_id = inbound_store(
                mailbox=mailbox, uidvalidity=state.uidvalidity, uid=uid, raw=raw
            )
            if outcome == "stored":
                report.stored += 1
                report.stored_ids.append(row_id)
            elif outcome == "duplicate":
                report.duplicates += 1
            else:
                report.already_stored += 1
    _advance_cursor(mailbox, state, uids)
    return report


def _advance_cursor(mailbox: Mailbox, state: FolderState, uids: list[int]) -> None:
    """Everything up to here is stored: later runs list only UIDs above it."""
    reached = max([state.uidnext - 1 if state.uidnext else 0, *uids, 0])
    with transaction.atomic(durable=True):
        row = Mailbox.objects.select_for_update().get(pk=mailbox.pk)
        if row.sync_uidvalidity == state.uidvalidity:
            reached = max(reached, row.sync_last_uid)
        row.sync_uidvalidity = state.uidvalidity
        row.sync_last_uid = reached
        row.save(update_fields=["sync_uidvalidity", "sync_last_uid", "updated_at"])
    mailbox.sync_uidvalidity, mailbox.sync_last_uid = state.uidvalidity, reached


def mail_fetch(*, mailbox_id: int) -> FetchReport:
    """Step 1 for one mailbox: store every new message. Raises ``MailboxUnavailable``."""
    mailbox = _mailbox(mailbox_id)
    with mailbox_session(mailbox) as (client, state):
        return _fetch(mailbox, client, state)


# --- step 2: process ----------------------------------------------------------------------------
def _apply(message: InboundMessage, parsed: parsing.ParsedMessage) -> None:
    message.message_id = message.message_id or parsed.message_id
    message.from_address = parsed.from_address
    message.from_name = parsed.from_name
    message.to_addresses = parsed.to
    message.cc_addresses = parsed.cc
    message.reply_to = parsed.reply_to
    message.subject = parsed.subject
    message.sent_at = parsed.date
    message.in_reply_to = parsed.in_reply_to
    message.references = parsed.references
    message.language = parsed.language
    message.classification = parsed.classification
    message.bounced_message_id = parsed.bounced_message_id
    message.is_malformed = parsed.malformed
    message.is_oversized = parsed.oversized
    message.is_truncated = parsed.truncated
    message.defects = parsed.defects
    message.text = parsed.text
    message.text_source = parsed.text_source


_PARSED_FIELDS = [
    "message_id",
    "from_address",
    "from_name",
    "to_addresses",
    "cc_addresses",
    "reply_to",
    "subject",
    "sent_at",
    "in_reply_to",
    "references",
    "language",
    "classification",
    "bounced_message_id",
    "is_malformed",
    "is_oversized",
    "is_truncated",
    "defects",
    "text",
    "text_source",
]


def _store_attachments(message: InboundMessage, parsed: parsing.ParsedMessage) -> None:
    rows = []
    for position, attachment in enumerate(parsed.attachments, start=1):
        name = _store_content("attachments", attachment.sha256, attachment.data)
        rows.append(
            InboundAttachment(
                message=message,
                position=position,
                filename=attachment.filename or f"attachment-{position}",
                content_type=attachment.content_type,
                size=attachment.size,
                sha256=attachment.sha256,
                file=name,
                content_id=attachment.content_id,
                is_inline=attachment.inline,
            )
        )
    InboundAttachment.objects.bulk_create(rows)


def _copy_parsed(message: InboundMessage, original: InboundMessage) -> None:
    for name in _PARSED_FIELDS:
        setattr(message, name, getattr(original, name))


def mail_process(*, message_id: int) -> str:
    """Step 2: parse and hand on, exactly once. Returns "processed", "duplicate" or "already".

    On failure the transaction rolls back (no appeal, nothing marked), the error is recorded on
    the message with a backoff, and the exception is raised again."""
    try:
        return _process(message_id)
    except Exception as exc:
        _record_failure(message_id, exc)
        raise


def _process(message_id: int) -> str:
    with transaction.atomic(durable=True):
        message = (
            InboundMessage.objects.select_for_update()
            .select_related("mailbox")
            .filter(pk=message_id)
            .first()
        )
        if message is None:
            raise NotFound("inbound_not_found", _("No such message."))
        if message.status != InboundStatus.STORED:
            return "already"
        now = clock.now()
        if message.duplicate_of_id is not None:
            original = InboundMessage.objects.get(pk=message.duplicate_of_id)
            _copy_parsed(message, original)
            outcome = "duplicate"
        else:
            parsed = parsing.parse_message(
                selectors.inbound_raw(message),
                own_addresses=selectors.mail_own_addresses(),
                default_language=message.mailbox.default_language,
                max_text_chars=_setting("QOLDAU_MAIL_MAX_TEXT_CHARS", 100_000),
                oversized_bytes=_setting("QOLDAU_MAIL_OVERSIZED_BYTES", 10 * 1024 * 1024),
            )
            _apply(message, parsed)
            _store_attachments(message, parsed)
            if message.classification == Classification.BOUNCE and message.bounced_message_id:
                outbox_mark_bounced(
                    message_id=message.bounced_message_id, reason="delivery status notification"
                )
            outcome = "processed"
        message.save(update_fields=_PARSED_FIELDS)
        if outcome == "processed":
            # The appeals app opens or threads the appeal here, in this transaction.
            events.publish(EVENT_INBOUND_RECEIVED, message=message)
        _move(message, InboundStatus.PROCESSED)
        message.processed_at = now
        message.next_attempt_at = None
        message.last_error = ""
        message.save(update_fields=["status", "processed_at", "next_attempt_at", "last_error"])
        audit_record(
            actor=None,
            action="mail.inbound_processed",
            target=message,
            changes={
                "mailbox": message.mailbox.name,
                "classification": message.classification,
                "language": message.language,
                "malformed": message.is_malformed,
                "attachments": message.attachments.count(),
                "duplicate_of": message.duplicate_of_id,
            },
        )
    return outcome


def _record_failure(message_id: int, exc: BaseException) -> None:
    logger.warning(
        "mail: processing of inbound message %s failed: %s", message_id, type(exc).__name__
    )
    try:
        with transaction.atomic(durable=True):
            message = InboundMessage.objects.select_for_update().filter(pk=message_id).first()
            if message is None or message.status != InboundStatus.STORED:
                return
            message.process_attempts += 1
            message.next_attempt_at = clock.now() + _retry_delay(message.process_attempts)
            message.last_error = _error_text(exc)
            message.save(update_fields=["process_attempts", "next_attempt_at", "last_error"])
    except Exception:  # the database itself may be what failed; the next poll tries again
        logger.exception("mail: could not record the failure of inbound message %s", message_id)


def inbound_retry_now(*, message_ids: Iterable[int]) -> int:
    """Make failed messages due at once (an administrator's action); returns how many."""
    with transaction.atomic(durable=True):
        return InboundMessage.objects.filter(
            pk__in=list(message_ids), status=InboundStatus.STORED
        ).update(next_attempt_at=None)


# --- step 3: acknowledge on the server ----------------------------------------------------------
def _acknowledge(message_id: int, note: str) -> bool:
    with transaction.atomic(durable=True):
        message = InboundMessage.objects.select_for_update().filter(pk=message_id).first()
        if message is None or message.status != InboundStatus.PROCESSED:
            return False
        _move(message, InboundStatus.ACKNOWLEDGED)
        message.acknowledged_at = clock.now()
        message.server_note = note[:200]
        message.save(update_fields=["status", "acknowledged_at", "server_note"])
    return True


def mail_acknowledge_on_server(
    *,
    message_id: int,
    client: MailboxClient | None = None,
    state: FolderState | None = None,
) -> bool:
    """Step 3: mark a processed message on the server and record it; False if not processed
    yet (never before) or already done. Pass an open ``client`` to reuse a connection."""
    message = InboundMessage.objects.select_related("mailbox").filter(pk=message_id).first()
    if message is None:
        raise NotFound("inbound_not_found", _("No such message."))
    if message.status != InboundStatus.PROCESSED:
        return False
    if message.mailbox.kind == MailboxKind.IMPORT:
        return _acknowledge(message_id, "imported from a file; no server copy")
    if client is None or state is None:
        with mailbox_session(message.mailbox) as (own_client, own_state):
            return _mark(message, own_client, own_state)
    return _mark(message, client, state)


def _mark(message: InboundMessage, client: MailboxClient, state: FolderState) -> bool:
    if state.uidvalidity != message.uidvalidity:
        # The server renumbered the folder; the copy there, if unread, is fetched again under
        # its new UID as a duplicate and marked through that row.
        return _acknowledge(message.pk, "UIDVALIDITY changed; nothing to mark under the old UID")
    client.mark_processed(message.uid)
    target = message.mailbox.processed_folder
    return _acknowledge(message.pk, f"moved to {target}" if target else "marked \\Seen")


# --- the poll -----------------------------------------------------------------------------------
@dataclass
class PollReport:
    mailbox: str
    fetched: FetchReport | None = None
    processed: int = 0
    duplicates: int = 0
    failed: int = 0
    acknowledged: int = 0
    error: str = ""


def mail_process_pending(
    *, mailbox_id: int | None = None, report: PollReport | None = None
) -> PollReport:
    """Step 2 for every stored message that is due (also those left by an earlier crash)."""
    report = report or PollReport(mailbox="*")
    for message_id in selectors.inbound_ids_to_process(mailbox_id=mailbox_id):
        try:
            outcome = mail_process(message_id=message_id)
        except Exception:
            report.failed += 1
            continue
        if outcome == "processed":
            report.processed += 1
        elif outcome == "duplicate":
            report.duplicates += 1
    return report


def _acknowledge_all(
    mailbox: Mailbox, report: PollReport, client: MailboxClient | None, state: FolderState | None
) -> None:
    for message_id in selectors.inbound_ids_to_acknowledge(mailbox_id=mailbox.pk):
        if mail_acknowledge_on_server(message_id=message_id, client=client, state=state):
            report.acknowledged += 1


def mail_poll(*, mailbox_id: int) -> PollReport:
    """Fetch, process and acknowledge everything pending for one mailbox. A server that cannot
    be reached still lets stored messages be processed; the error is kept on the mailbox."""
    mailbox = _mailbox(mailbox_id)
    report = PollReport(mailbox=mailbox.name)
    if mailbox.kind == MailboxKind.IMPORT:
        mail_process_pending(mailbox_id=mailbox.pk, report=report)
        _acknowledge_all(mailbox, report, None, None)
        return report
    client = mailbox_client(mailbox.kind, mailbox_settings(mailbox))
    state: FolderState | None = None
    try:
        try:
            state = client.open()
            report.fetched = _fetch(mailbox, client, state)
        except (MailboxUnavailable, OSError) as exc:
            report.error = _error_text(exc)
            logger.warning("mail: mailbox %s: %s", mailbox.name, report.error)
        except Exception as exc:  # an IMAP protocol error in the middle: keep what was stored
            report.error = _error_text(exc)
            logger.exception("mail: fetching from mailbox %s failed", mailbox.name)
        mail_process_pending(mailbox_id=mailbox.pk, report=report)
        if state is not None and not report.error:
            try:
                _acknowledge_all(mailbox, report, client, state)
            except Exception as exc:
                report.error = _error_text(exc)
                logger.warning("mail: marking on %s failed: %s", mailbox.name, report.error)
    finally:
        client.close()
    _record_poll(mailbox, report.error)
    return report


def _record_poll(mailbox: Mailbox, error: str) -> None:
    with transaction.atomic(durable=True):
        Mailbox.objects.filter(pk=mailbox.pk).update(
            last_poll_at=clock.now(), last_poll_error=error
        )


def mail_poll_all() -> list[PollReport]:
    """Every active mailbox, then anything stored and still unprocessed anywhere (imports)."""
    reports = []
    for mailbox in selectors.mailbox_list_active():
        try:
            reports.append(mail_poll(mailbox_id=mailbox.pk))
        except Exception as exc:  # one broken mailbox must not stop the others
            logger.exception("mail: polling %s failed", mailbox.name)
            reports.append(PollReport(mailbox=mailbox.name, error=_error_text(exc)))
    leftovers = mail_process_pending()
    if leftovers.processed or leftovers.duplicates or leftovers.failed:
        reports.append(leftovers)
    imports = Mailbox.objects.filter(kind=MailboxKind.IMPORT).first()
    if imports is not None:
        _acknowledge_all(imports, PollReport(mailbox=imports.name), None, None)
    return reports


# --- automatic answers --------------------------------------------------------------------------
def mail_auto_reply_enqueue(
    *,
    message: InboundMessage,
    subject: str,
    body: str,
    related: models.Model | tuple[str, Any] | None = None,
    idempotency_key: str = "",
) -> OutboxMessage | None:
    """Queue an automatic answer to ``message`` (an acknowledgement) inside the caller's
    transaction, or return None when RFC 3834 or the per-sender limit forbids one. The answer
    threads to the message and carries Auto-Submitted and X-Loop, so it cannot start a loop."""
    if not selectors.mail_auto_reply_allowed(message=message):
        return None
    return outbox_enqueue(
        channel="email",
        recipient=selectors.mail_reply_address(message),
        sender=message.mailbox.address,
        subject=subject,
        body=body,
        headers=selectors.mail_reply_headers(message=message, automatic=True),
        idempotency_key=idempotency_key or f"mail:auto-reply:{message.pk}",
        category=selectors.AUTO_REPLY_CATEGORY,
        language=message.language,
        related=related if related is not None else message,
    )
