"""The telephony API under /api/v1/telephony/: the signed CTI webhook (docs/telephony.md)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest
from ninja import Router, Schema

from qoldau.core.errors import ValidationFailed
from qoldau.telephony.adapters.webhook import parse, remember, verify
from qoldau.telephony.services import call_event_check, call_event_ingest

router = Router(tags=["telephony"])


class EventResult(Schema):
    call_id: str
    seq: int
    status: str  # stored, duplicate


class EventsOut(Schema):
    results: list[EventResult]


class ErrorOut(Schema):
    code: str
    message: str
    field: str | None
    errors: list[dict[str, Any]] = []


@router.post(
    "/events",
    auth=None,
    response={200: EventsOut, 401: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="CTI webhook: call events from a PBX (HMAC-signed)",
)
def cti_events(request: HttpRequest) -> dict[str, Any]:
    """One event object or ``{"events": [...]}`` (up to 100), signed with the shared secret:
    ``X-Qoldau-Timestamp`` (Unix seconds) and ``X-Qoldau-Signature: sha256=<hex>`` where the
    hex is HMAC-SHA256 of ``<timestamp>.<raw body>``. All events of a request are stored
    together or not at all."""
    client = str(request.META.get("REMOTE_ADDR", ""))
    verified = verify(
        body=request.body,
        timestamp=request.headers.get("X-Qoldau-Timestamp", ""),
        signature=request.headers.get("X-Qoldau-Signature", ""),
        client=client,
    )
    events = parse(verified.body)
    for n, event in enumerate(events):
        try:
            call_event_check(event)
        except ValidationFailed as exc:
            for error in exc.errors:
                error.field = f"events[{n}].{error.field}"
            raise
    results = []
    with transaction.atomic(durable=True):
        remember(verified, client)
        for event in events:
            outcome = call_event_ingest(event)
            results.append(
                {
                    "call_id": event.call_id,
                    "seq": event.seq,
                    "status": "duplicate" if outcome.duplicate else "stored",
                }
            )
    return {"results": results}
