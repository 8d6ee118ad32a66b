"""Writes of recording requests (R17, Rules p.14): filing with the written document, the
four-hour clock, the matching of calls, delivery as an expiring download, the "no recordings
found" answer, the late and expiry sweeps. One durable transaction per use case, the status only
through ``transitions.py``, an audit record with every step."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from qoldau.accounts.enums import Role
from qoldau.audit.services import audit_record
from qoldau.core import clock
from qoldau.core.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from qoldau.core.identifiers import normalise_phone
from qoldau.policy.selectors import policy_due
from qoldau.recordings.access import (
    is_authorized_body,
    require_authorized_body,
    require_quality_staff,
)
from qoldau.recordings.enums import DOCUMENT_TYPES, RequestStatus
from qoldau.recordings.models import DeliveredFile, Recording, RecordingRequest, RequestMatch
from qoldau.recordings.notify import request_notice
from qoldau.recordings.ports import recording_store
from qoldau.recordings.selectors import calls_on_local_date, users_with_role
from qoldau.recordings.transitions import transition_target

logger = logging.getLogger(__name__)
DELIVERY_RULE = "recording_delivery"


def _durable() -> transaction.Atomic:
    return transaction.atomic(durable=True)


def _user(actor: Any) -> Any:
    if (
        actor is not None
        and getattr(actor, "is_authenticated", False)
        and hasattr(actor, "get_username")
    ):
        return actor
    return None


# --- filing ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestInput:
    call_date: dt.date
    phone: str
    phone_raw: str
    reference: str
    document: bytes
    document_name: str
    document_type: str
    extension: str


def _document_type(data: bytes) -> tuple[str, str] | None:
    for content_type, (magic, extension) in DOCUMENT_TYPES.items():
        if data.startswith(magic):
            return content_type, extension
    return None


def _parse_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value or "").strip())
    except ValueError:
        return None


def clean_request_input(
    *,
    call_date: Any,
    phone: str,
    document: bytes | None,
    document_name: str = "",
    reference: str = "",
) -> RequestInput:
    """Check everything at once; ``ValidationFailed`` names each wrong field, nothing is kept."""
    errors: list[FieldError] = []
    limit = int(settings.RECORDINGS_REQUEST_DOCUMENT_MAX_BYTES)
    kind: tuple[str, str] | None = None
    if not document:
        errors.append(
            FieldError(
                "document",
                "document_required",
                _("Attach the written request: a PDF, JPEG or PNG file."),
            )
        )
    elif len(document) > limit:
        errors.append(
            FieldError(
                "document",
                "document_too_large",
                _("The document is larger than %(limit)s MB."),
                limit=max(1, limit // (1024 * 1024)),
            )
        )
    else:
        kind = _document_type(document)
        if kind is None:
            errors.append(
                FieldError(
                    "document",
                    "document_type",
                    _("The document must be a PDF, JPEG or PNG file."),
                )
            )
    day = None
    if call_date in (None, ""):
        errors.append(
            FieldError("call_date", "call_date_required", _("Give the date of the call."))
        )
    else:
        day = _parse_date(call_date)
        if day is None:
            errors.append(
                FieldError(
                    "call_date", "call_date_invalid", _("Give the date as day, month and year.")
                )
            )
        elif day > clock.today():
            errors.append(
                FieldError(
                    "call_date",
                    "call_date_future",
                    _("The date of the call cannot be in the future."),
                )
            )
    number = ""
    try:
        number = normalise_phone(phone or "", field="phone")
    except FieldError as exc:
        errors.append(exc)
    if len(reference or "") > 100:
        errors.append(
            FieldError(
                "reference",
                "reference_too_long",
                _("The outgoing number is at most 100 characters."),
            )
        )
    if errors:
        raise ValidationFailed(errors)
    assert day is not None
    assert kind is not None
    assert document is not None
    name = (document_name or f"request.{kind[1]}").replace("/", "_").replace("\\", "_")[-200:]
    return RequestInput(
        call_date=day,
        phone=number,
        phone_raw=(phone or "").strip()[:64],
        reference=(reference or "").strip(),
        document=document,
        document_name=name,
        document_type=kind[0],
        extension=kind[1],
    )


def _match(request: RecordingRequest) -> int:
    """Add the calls of the number on the local date not found before; returns how many."""
    known = set(RequestMatch.objects.filter(request=request).values_list("call_id", flat=True))
    now = clock.now()
    new = [
        RequestMatch(request=request, call_id=call_pk, found_at=now)
        for call_pk in calls_on_local_date(phone=request.phone, day=request.call_date).values_list(
            "pk", flat=True
        )
        if call_pk not in known
    ]
    RequestMatch.objects.bulk_create(new)
    return len(new)


OPEN_STATUSES = (RequestStatus.FILED, RequestStatus.LATE)


def recording_request_file(
    *,
    actor: Any,
    call_date: Any,
    phone: str,
    document: bytes | None,
    document_name: str = "",
    reference: str = "",
) -> RecordingRequest:
    """Register an authorized body's written request; starts the four-hour clock (p.14)."""
    request, _filed = recording_request_file_once(
        actor=actor,
        call_date=call_date,
        phone=phone,
        document=document,
        document_name=document_name,
        reference=reference,
    )
    return request


def _open_twin(
    organisation_id: Any, sha256: str, phone: str, call_date: Any
) -> RecordingRequest | None:
    return (
        RecordingRequest.objects.filter(
            organisation_id=organisation_id,
            document_sha256=sha256,
            phone=phone,
            call_date=call_date,
            status__in=OPEN_STATUSES,
        )
        .order_by("pk")
        .first()
    )


def recording_request_file_once(
    *,
    actor: Any,
    call_date: Any,
    phone: str,
    document: bytes | None,
    document_name: str = "",
    reference: str = "",
) -> tuple[RecordingRequest, bool]:
    """``recording_request_file``, and whether this call filed it: the same written request
    (the same document, number and date from the same body) sent again while the first is
    open, by a double click or a browser that sends the form again, is that first request
    (one clock, one delivery). A partial unique index decides between two at once."""
    require_authorized_body(actor)
    cleaned = clean_request_input(
        call_date=call_date,
        phone=phone,
        document=document,
        document_name=document_name,
        reference=reference,
    )
    sha256 = hashlib.sha256(cleaned.document).hexdigest()
    twin = _open_twin(actor.organisation_id, sha256, cleaned.phone, cleaned.call_date)
    if twin is not None:
        return twin, False
    now = clock.now()
    with translation.override("en"):  # stored once; shown per reader through the rule id
        due = policy_due(DELIVERY_RULE, now)
        citation = str(due.citation)
    store = recording_store()
    key = f"requests/{clock.local_date(now):%Y/%m}/{uuid.uuid4().hex}.{cleaned.extension}"
    stored = store.put(key, cleaned.document, content_type=cleaned.document_type)
    try:
        with _durable():
            request = RecordingRequest.objects.create(
                organisation_id=actor.organisation_id,
                filed_by=actor,
                call_date=cleaned.call_date,
                phone=cleaned.phone,
                phone_raw=cleaned.phone_raw,
                reference=cleaned.reference,
                document_key=stored.key,
                document_name=cleaned.document_name,
                document_type=cleaned.document_type,
                document_size=stored.size,
                document_sha256=stored.sha256,
                status=RequestStatus.FILED,
                filed_at=now,
                due_at=due.due,
                due_rule_id=due.rule_id,
                due_citation=citation,
            )
            found = _match(request)
            audit_record(
                actor=actor,
                action="recordings.request_filed",
                target=request,
                changes={
                    "call_date": cleaned.call_date.isoformat(),
                    "due_at": due.due.isoformat(),
                    "due_rule": due.rule_id,
                    "document_sha256": stored.sha256,
                    "calls_found": found,
                },
            )
    except IntegrityError:
        store.delete(stored.key)
        twin = _open_twin(actor.organisation_id, sha256, cleaned.phone, cleaned.call_date)
        if twin is None:
            raise
        return twin, False
    except BaseException:
        store.delete(stored.key)
        raise
    return request, True


# --- the contact center's side -----------------------------------------------------------------


def _locked(request_id: int) -> RecordingRequest:
    request = (
        RecordingRequest.objects.select_for_update()
        .select_related("organisation", "filed_by")
        .filter(pk=request_id)
        .first()
    )
    if request is None:
        raise NotFound("recording_request_not_found", _("No such recording request."))
    return request


def _move(request: RecordingRequest, *, action: str, actor: Any, changes: dict[str, Any]) -> None:
    target = transition_target(action, request.status)
    if target is None:
        raise Conflict(
            "transition_not_allowed",
            _("This action is not allowed in the request's current status."),
            params={"action": action},
        )
    changes = {"status": [request.status, target], **changes}
    request.status = target
    audit_record(
        actor=actor, action=f"recordings.request_{action}", target=request, changes=changes
    )


def _request_path(request: RecordingRequest) -> str:
    with translation.override("kk"):
        return reverse("recordings:request_detail", args=[request.pk])


def recording_request_open(*, actor: Any, request_id: int) -> RecordingRequest:
    """Open a request (an audited view). For the contact center's staff the calls found are
    brought up to date first (a call may have been recorded since the request was filed)."""
    with _durable():
        request = _locked(request_id)
        staff = False
        try:
            require_quality_staff(actor)
            staff = True
        except PermissionDenied:
            if not (is_authorized_body(actor) and actor.organisation_id == request.organisation_id):
                raise NotFound(
                    "recording_request_not_found", _("No such recording request.")
                ) from None
        found = 0
        if staff and request.status in (RequestStatus.FILED, RequestStatus.LATE):
            found = _match(request)
        audit_record(
            actor=actor,
            action="recordings.request_viewed",
            target=request,
            changes={"calls_found": found} if found else {},
        )
    return request


def recording_request_document(*, actor: Any, request_id: int) -> RecordingRequest:
    """Allow reading the written request document (audited)."""
    with _durable():
        request = _locked(request_id)
        try:
            require_quality_staff(actor)
        except PermissionDenied:
            if not (is_authorized_body(actor) and actor.organisation_id == request.organisation_id):
                raise NotFound(
                    "recording_request_not_found", _("No such recording request.")
                ) from None
        audit_record(actor=actor, action="recordings.document_viewed", target=request)
    return request


def _file_name(recording: Recording) -> str:
    local = recording.call.arrived_at.astimezone(clock.local_zone())
    extension = recording.storage_key.rsplit(".", 1)[-1] if "." in recording.storage_key else "bin"
    return f"{local:%Y%m%d-%H%M%S}-{recording.pk}.{extension}"


def recording_request_deliver(
    *, actor: Any, request_id: int, recording_ids: list[int]
) -> RecordingRequest:
    """Deliver the chosen recordings of the calls found: an expiring download for the
    requesting body (RECORDINGS_DELIVERY_HOURS), each file with its SHA-256."""
    require_quality_staff(actor)
    with _durable():
        request = _locked(request_id)
        chosen = list(
            Recording.objects.select_related("call")
            .filter(
                pk__in=list(recording_ids),
                deleted_at__isnull=True,
                call_id__in=RequestMatch.objects.filter(request=request).values("call_id"),
            )
            .order_by("call__arrived_at", "pk")
        )
        if not chosen:
            raise ValidationFailed(
                [
                    FieldError(
                        "recordings",
                        "recordings_none_chosen",
                        _(
                            "Choose at least one recording of the calls found, or answer that "
                            "no recordings were found."
                        ),
                    )
                ]
            )
        now = clock.now()
        hours = max(1, int(settings.RECORDINGS_DELIVERY_HOURS))
        late = now > request.due_at
        files = [
            DeliveredFile(
                request=request,
                recording=recording,
                file_name=_file_name(recording),
                size=recording.size,
                sha256=recording.sha256,
            )
            for recording in chosen
        ]
        _move(
            request,
            action="deliver",
            actor=actor,
            changes={
                "files": [{"recording": f.recording.pk, "sha256": f.sha256} for f in files],
                "late": late,
            },
        )
        DeliveredFile.objects.bulk_create(files)
        request.handled_by = _user(actor)
        request.answered_at = now
        request.delivery_expires_at = now + dt.timedelta(hours=hours)
        request.save(update_fields=["status", "handled_by", "answered_at", "delivery_expires_at"])
        request_notice(
            request=request,
            code="delivered",
            recipient=request.filed_by,
            path=_request_path(request),
            key=f"recordings:request:{request.pk}:delivered",
        )
    return request


def recording_request_answer_none(*, actor: Any, request_id: int) -> RecordingRequest:
    """Answer that no recording of that number on that date exists (only when none is stored)."""
    require_quality_staff(actor)
    with _durable():
        request = _locked(request_id)
        if request.status in (RequestStatus.FILED, RequestStatus.LATE):
            _match(request)
        stored = Recording.objects.filter(
            deleted_at__isnull=True,
            call_id__in=RequestMatch.objects.filter(request=request).values("call_id"),
        ).count()
        if stored:
            raise Conflict(
                "recordings_found",
                _("Recordings of this number on this date exist: deliver them instead."),
            )
        now = clock.now()
        _move(request, action="answer_none", actor=actor, changes={"late": now > request.due_at})
        request.handled_by = _user(actor)
        request.answered_at = now
        request.save(update_fields=["status", "handled_by", "answered_at"])
        request_notice(
            request=request,
            code="none_found",
            recipient=request.filed_by,
            path=_request_path(request),
            key=f"recordings:request:{request.pk}:none_found",
        )
    return request


# --- the requesting body's download -------------------------------------------------------------


def recording_delivery_download(
    *, actor: Any, request_id: int, file_id: int | None = None
) -> tuple[RecordingRequest, list[DeliveredFile]]:
    """Allow the requesting body to download one delivered file (``file_id``) or all of them
    (None: the ZIP); audited. Refused once the download expired."""
    require_authorized_body(actor)
    with _durable():
        request = _locked(request_id)
        if request.organisation_id != actor.organisation_id:
            raise NotFound("recording_request_not_found", _("No such recording request."))
        now = clock.now()
        if (
            request.status != RequestStatus.DELIVERED
            or request.delivery_expires_at is None
            or now >= request.delivery_expires_at
        ):
            raise Conflict(
                "delivery_unavailable",
                _("The download is not available: it has not been delivered or it expired."),
            )
        files = list(DeliveredFile.objects.select_related("recording").filter(request=request))
        if file_id is not None:
            files = [f for f in files if f.pk == file_id]
            if not files:
                raise NotFound("delivered_file_not_found", _("No such file."))
        audit_record(
            actor=actor,
            action="recordings.downloaded",
            target=request,
            changes={"file": file_id if file_id is not None else "zip"},
        )
    return request, files


# --- sweeps ------------------------------------------------------------------------------------


def recording_request_sweep_late(*, now: dt.datetime | None = None, batch: int = 200) -> int:
    """Flag requests past their four-hour due time once each and tell the UCC administrators
    through the outbox. Returns how many were flagged."""
    moment = now or clock.now()
    flagged = 0
    with _durable():
        rows = list(
            RecordingRequest.objects.select_for_update(skip_locked=True)
            .select_related("organisation")
            .filter(status=RequestStatus.FILED, due_at__lt=moment)
            .order_by("due_at")[:batch]
        )
        admins = list(users_with_role(Role.UCC_ADMIN))
        for request in rows:
            _move(
                request,
                action="flag_late",
                actor=None,
                changes={"due_at": request.due_at.isoformat()},
            )
            request.late_at = moment
            request.save(update_fields=["status", "late_at"])
            for admin in admins:
                request_notice(
                    request=request,
                    code="late",
                    recipient=admin,
                    path=_request_path(request),
                    key=f"recordings:request:{request.pk}:late:{admin.pk}",
                )
            flagged += 1
    return flagged


def recording_delivery_expire_sweep(*, now: dt.datetime | None = None, batch: int = 500) -> int:
    """Close the downloads whose time ran out (the request becomes "download expired")."""
    moment = now or clock.now()
    expired = 0
    with _durable():
        rows = list(
            RecordingRequest.objects.select_for_update(skip_locked=True)
            .filter(status=RequestStatus.DELIVERED, delivery_expires_at__lte=moment)
            .order_by("delivery_expires_at")[:batch]
        )
        for request in rows:
            _move(
                request,
                action="expire",
                actor=None,
                changes={"expires_at": str(request.delivery_expires_at)},
            )
            request.expired_at = moment
            request.save(update_fields=["status", "expired_at"])
            expired += 1
    return expired
