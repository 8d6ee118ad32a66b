"""REST API of appeals at /api/v1/appeals/ (integrations register appeals with an API key)."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from ninja import Router, Schema

from qoldau.accounts.access import access_is_ucc_staff
from qoldau.accounts.api_auth import actor_of
from qoldau.appeals.enums import Channel, Status
from qoldau.appeals.intake import appeal_register_idempotent
from qoldau.appeals.models import Appeal
from qoldau.appeals.presentation import deadline_of, event_text
from qoldau.appeals.selectors import appeal_get
from qoldau.appeals.services import appeal_register
from qoldau.core.errors import PermissionDenied

router = Router(tags=["appeals"])


class AppealIn(Schema):
    content: str = ""
    received_at: dt.datetime | None = None
    channel: str = Channel.API.value
    line: str = ""
    name: str = ""
    iin_bin: str = ""
    phone: str = ""
    email: str = ""
    region: str = ""
    language: str = "kk"
    service: str = ""
    category: str = "consultation"
    subject: str = ""
    complaint_type: str = ""
    non_compliance: str = ""
    complaint_body: str = ""
    official_name: str = ""
    motives: str = ""
    demands: str = ""


class EventOut(Schema):
    at: str
    code: str
    text: str


class AppealOut(Schema):
    number: str
    status: str
    status_label: str
    channel: str
    category: str
    language: str
    service: str | None
    received_at: str
    registered_at: str
    due_at: str | None
    due_rule_id: int | None
    due_citation: str
    overdue: bool
    events: list[EventOut] = []


class ErrorOut(Schema):
    code: str
    message: str
    field: str | None
    errors: list[dict[str, Any]] = []


@functools.cache
def status_label(status: str, language: str) -> str:
    """A status's label in ``language``; cached (``get_status_display`` hashes every lazy label
    of the choices on each call, which cost the intake more than the rest of its response)."""
    with translation.override(language):
        return str(Status(status).label) if status in Status.values else status


def appeal_as_json(appeal: Appeal, *, with_events: bool = False) -> dict[str, Any]:
    deadline = deadline_of(appeal)
    body: dict[str, Any] = {
        "number": appeal.number,
        "status": appeal.status,
        "status_label": status_label(appeal.status, translation.get_language() or ""),
        "channel": appeal.channel,
        "category": appeal.category,
        "language": appeal.language,
        "service": appeal.service.register_number if appeal.service is not None else None,
        "received_at": appeal.received_at.isoformat(),
        "registered_at": appeal.registered_at.isoformat(),
        "due_at": appeal.due_at.isoformat() if appeal.due_at else None,
        "due_rule_id": appeal.due_rule_id,
        "due_citation": appeal.due_citation,
        "overdue": deadline.overdue,
    }
    if with_events:
        body["events"] = [
            {"at": e.at.isoformat(), "code": e.code, "text": event_text(e)}
            for e in appeal.events.all()
        ]
    return body


def _require_intake(actor: Any) -> None:
    """Integrations (API keys) and the contact center's staff may register appeals."""
    is_key = hasattr(actor, "prefix") and not hasattr(actor, "get_username")
    if not (is_key or access_is_ucc_staff(actor)):
        raise PermissionDenied("forbidden", _("You do not have permission to do this."))


@router.post(
    "/",
    response={201: AppealOut, 200: AppealOut, 403: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Register an appeal (honours Idempotency-Key)",
)
def create_appeal(request: HttpRequest, payload: AppealIn) -> JsonResponse:
    """Register an appeal. Send an ``Idempotency-Key`` header (1-255 characters) to retry safely:
    the same key with the same body replays the first response (header ``Idempotent-Replayed:
    true``); the same key with another body is refused with 409. Keys are kept at least 24 hours.
    """
    actor = actor_of(request)
    _require_intake(actor)
    data = payload.dict()
    key = request.headers.get("Idempotency-Key")
    if key is None:
        appeal = appeal_register(actor=actor, data=data)
        return JsonResponse(appeal_as_json(appeal), status=201)
    status, body, replayed = appeal_register_idempotent(
        actor=actor, data=data, key=key, render=appeal_as_json
    )
    response = JsonResponse(body, status=status)
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return response


@router.get("/{number}", response={200: AppealOut, 404: ErrorOut}, summary="An appeal's status")
def get_appeal(request: HttpRequest, number: str) -> dict[str, Any]:
    appeal = appeal_get(actor=actor_of(request), number=number)
    return appeal_as_json(appeal, with_events=True)
