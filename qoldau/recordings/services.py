"""Writes of recordings: the copy from the PBX into the store, listening, the retention purge
(R17). One durable transaction per use case, each with its audit record."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import re
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from qoldau.audit.services import audit_record
from qoldau.core import clock
from qoldau.core.errors import NotFound
from qoldau.policy.selectors import policy_due
from qoldau.recordings.access import require_quality_staff
from qoldau.recordings.fetching import FetchError, open_source
from qoldau.recordings.models import DeliveredFile, Recording, RequestMatch
from qoldau.recordings.ports import ObjectMissing, recording_store
from qoldau.recordings.transitions import HOLDING, OPEN
from qoldau.telephony.models import CallRecord

logger = logging.getLogger(__name__)
RETENTION_RULE = "recording_retention"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _durable() -> transaction.Atomic:
    return transaction.atomic(durable=True)


def recording_key(call: CallRecord, extension: str) -> str:
    """The store key of a call's recording: by local date, readable, unique per call id."""
    day = clock.local_date(call.arrived_at)
    safe = _UNSAFE.sub("_", call.call_id).strip("._-")[:80] or "call"
    digest = hashlib.sha256(call.call_id.encode()).hexdigest()[:8]
    ext = extension if re.fullmatch(r"\.[a-z0-9]{1,5}", extension) else ".bin"
    return f"calls/{day:%Y/%m/%d}/{safe}-{digest}{ext}"


def recording_fetch(*, call_id: str) -> Recording | None:
    """Copy the PBX's file of ``call_id`` into the store; idempotent per call (a second call
    returns the stored recording). None when the call has no recording location.

    The copy happens before the transaction (the store is not transactional); the row is made in
    one durable transaction. A crash in between leaves a file that the next attempt overwrites
    under the same key."""
    call = CallRecord.objects.filter(call_id=call_id).first()
    if call is None:
        raise NotFound("recordings_call_not_found", _("No such call."))
    existing = Recording.objects.filter(call=call).first()
    if existing is not None:
        return existing
    if not call.recording_uri:
        return None
    store = recording_store()
    with open_source(call.recording_uri) as source:
        key = recording_key(call, source.extension)
        stored = store.put(key, source.stream, content_type=source.content_type)
        content_type = source.content_type
    retention = policy_due(RETENTION_RULE, call.arrived_at)
    with _durable():
        CallRecord.objects.select_for_update().filter(pk=call.pk).first()
        existing = Recording.objects.filter(call=call).first()
        if existing is not None:
            return existing
        recording = Recording.objects.create(
            call=call,
            storage_key=stored.key,
            size=stored.size,
            sha256=stored.sha256,
            content_type=content_type,
            seconds=call.recording_seconds,
            source_uri=call.recording_uri,
            created_at=clock.now(),
            retain_until=retention.due,
            retention_rule_id=retention.rule_id,
        )
        audit_record(
            actor=None,
            action="recordings.stored",
            target=recording,
            changes={"call": call.call_id, "size": stored.size, "sha256": stored.sha256},
        )
    return recording


def recording_fetch_safely(*, call_id: str) -> Recording | None:
    """``recording_fetch`` for the worker: a permanent failure is logged once, not retried."""
    try:
        return recording_fetch(call_id=call_id)
    except FetchError as exc:
        if exc.permanent:
            logger.error("recordings: call %s: %s", call_id, exc)
            return None
        raise


def recording_listen(
    *, actor: Any, recording_id: int, byte_range: str = "", request_id: int | None = None
) -> Recording:
    """Allow ``actor`` to hear a recording and record that they did (every listening is an
    audited action, R2). Raises ``PermissionDenied`` for anyone but the quality staff."""
    require_quality_staff(actor)
    with _durable():
        recording = (
            Recording.objects.select_related("call")
            .filter(pk=recording_id, deleted_at__isnull=True)
            .first()
        )
        if recording is None:
            raise NotFound("recording_not_found", _("No such recording."))
        changes: dict[str, Any] = {"call": recording.call.call_id}
        if byte_range:
            changes["range"] = byte_range[:100]
        if request_id is not None:
            changes["request"] = request_id
        audit_record(actor=actor, action="recordings.listened", target=recording, changes=changes)
    return recording


def _held() -> Q:
    """A recording is held while a request that found its call is open or delivered."""
    matched = RequestMatch.objects.filter(call=OuterRef("call"), request__status__in=OPEN)
    delivered = DeliveredFile.objects.filter(recording=OuterRef("pk"), request__status__in=HOLDING)
    return Q(Exists(matched)) | Q(Exists(delivered))


def recording_purge_expired(*, now: dt.datetime | None = None, batch: int = 200) -> int:
    """Delete the files of recordings past their retention that no request holds; the rows stay
    (marked deleted) for the audit trail. Returns how many were purged."""
    moment = now or clock.now()
    store = recording_store()
    purged = 0
    due = list(
        Recording.objects.filter(deleted_at__isnull=True, retain_until__lt=moment)
        .exclude(_held())
        .order_by("retain_until")
        .values_list("pk", flat=True)[:batch]
    )
    for pk in due:
        with _durable():
            recording = (
                Recording.objects.select_for_update()
                .filter(pk=pk, deleted_at__isnull=True, retain_until__lt=moment)
                .exclude(_held())
                .first()
            )
            if recording is None:
                continue
            with contextlib.suppress(ObjectMissing):
                store.delete(recording.storage_key)
            recording.deleted_at = moment
            recording.save(update_fields=["deleted_at"])
            audit_record(
                actor=None,
                action="recordings.purged",
                target=recording,
                changes={"retain_until": recording.retain_until.isoformat()},
            )
            purged += 1
    return purged
