"""Reads of recordings and recording requests (R17). Every list is scoped to the reader."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _

from qoldau.core import clock
from qoldau.core.errors import NotFound
from qoldau.recordings.access import can_listen, can_see_request, is_authorized_body
from qoldau.recordings.models import DeliveredFile, Recording, RecordingRequest, RequestMatch
from qoldau.recordings.transitions import OPEN
from qoldau.telephony.models import CallRecord


def calls_on_local_date(*, phone: str, day: dt.date) -> QuerySet[CallRecord]:
    """The calls from ``phone`` (E.164) that arrived on the local date ``day`` (Asia/Almaty)."""
    start = clock.start_of_local_day(day)
    end = clock.start_of_local_day(day + dt.timedelta(days=1))
    return CallRecord.objects.filter(
        caller=phone, arrived_at__gte=start, arrived_at__lt=end
    ).order_by("arrived_at", "pk")


def users_with_role(role: str) -> QuerySet[Any]:
    """Active people holding ``role`` (the accounts app has no selector for it yet)."""
    return (
        get_user_model()
        .objects.filter(is_active=True, role_assignments__role=role)
        .distinct()
        .order_by("pk")
    )


def request_queue(*, actor: Any) -> list[RecordingRequest]:
    """Open requests for the contact center, the most urgent first (quality staff only)."""
    if not can_listen(actor):
        return []
    return list(
        RecordingRequest.objects.select_related("organisation")
        .filter(status__in=OPEN)
        .order_by("due_at", "pk")
    )


def request_recent_answered(*, actor: Any, limit: int = 20) -> list[RecordingRequest]:
    if not can_listen(actor):
        return []
    return list(
        RecordingRequest.objects.select_related("organisation", "handled_by")
        .exclude(status__in=OPEN)
        .order_by("-answered_at", "-pk")[:limit]
    )


def request_list_for_body(*, actor: Any) -> list[RecordingRequest]:
    """The requests of the reader's own authorized body, newest first."""
    if not is_authorized_body(actor):
        return []
    return list(
        RecordingRequest.objects.select_related("filed_by")
        .filter(organisation_id=actor.organisation_id)
        .order_by("-filed_at", "-pk")
    )


@dataclass(frozen=True)
class FoundCall:
    call: CallRecord
    recording: Recording | None


def request_get(*, actor: Any, request_id: int) -> RecordingRequest:
    request = (
        RecordingRequest.objects.select_related("organisation", "filed_by", "handled_by")
        .prefetch_related(
            Prefetch("files", queryset=DeliveredFile.objects.select_related("recording"))
        )
        .filter(pk=request_id)
        .first()
    )
    if request is None or not can_see_request(actor, request.organisation_id):
        raise NotFound("recording_request_not_found", _("No such recording request."))
    return request


def request_found_calls(*, request: RecordingRequest) -> list[FoundCall]:
    """The calls found for a request with their stored recording, if any (two queries)."""
    matches = list(
        RequestMatch.objects.select_related("call")
        .filter(request=request)
        .order_by("call__arrived_at", "pk")
    )
    recordings = {
        r.call_id: r
        for r in Recording.objects.filter(
            call_id__in=[m.call_id for m in matches], deleted_at__isnull=True
        )
    }
    return [FoundCall(m.call, recordings.get(m.call_id)) for m in matches]


def recording_get(*, actor: Any, recording_id: int) -> Recording:
    """A stored recording for the quality staff; anyone else gets NotFound (nothing leaks)."""
    recording = (
        Recording.objects.select_related("call", "call__operator")
        .filter(pk=recording_id, deleted_at__isnull=True)
        .first()
    )
    if recording is None or not can_listen(actor):
        raise NotFound("recording_not_found", _("No such recording."))
    return recording


def call_get(*, actor: Any, call_pk: int) -> tuple[CallRecord, Recording | None]:
    """A call with its recording for the quality staff's call page."""
    if not can_listen(actor):
        raise NotFound("call_not_found", _("No such call."))
    call = CallRecord.objects.select_related("operator").filter(pk=call_pk).first()
    if call is None:
        raise NotFound("call_not_found", _("No such call."))
    recording = Recording.objects.filter(call=call, deleted_at__isnull=True).first()
    return call, recording


def recorded_calls(*, actor: Any, limit: int = 50) -> list[Recording]:
    """The latest stored recordings (quality staff only)."""
    if not can_listen(actor):
        return []
    return list(
        Recording.objects.select_related("call", "call__operator")
        .filter(deleted_at__isnull=True)
        .order_by("-call__arrived_at", "-pk")[:limit]
    )
