"""The HTTP CTI webhook (docs/telephony.md): any PBX posts signed call events.

A request is accepted only with a valid ``X-Qoldau-Signature`` (HMAC-SHA256 of
``"<timestamp>.<body>"`` with a shared secret) and an ``X-Qoldau-Timestamp`` within the
tolerance; a request whose signature was already accepted is a replay and is refused. Several
secrets may be configured at once, so a secret can be rotated without downtime. Events are
idempotent by ``(call_id, seq)``: a retry signed anew is answered "duplicate".
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from qoldau.core import clock
from qoldau.core.errors import DomainError, FieldError, ValidationFailed
from qoldau.telephony.models import WebhookReceipt
from qoldau.telephony.ports import CallEvent, CallEventKind

logger = logging.getLogger(__name__)
MAX_EVENTS = 100
MAX_BODY_BYTES = 256 * 1024
TEXT_FIELDS = (
    "line",
    "caller",
    "language",
    "service",
    "queue",
    "operator",
    "target_operator",
    "target_queue",
    "notice",
    "recording_uri",
    "reason",
)


class WebhookRefused(DomainError):
    status = 401


class WebhookReplayed(DomainError):
    status = 409


@dataclass(frozen=True)
class Verified:
    signature: str
    body: bytes


def secrets() -> list[str]:
    return [s for s in getattr(settings, "TELEPHONY_WEBHOOK_SECRETS", []) if s]


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """What a PBX puts in X-Qoldau-Signature (after ``sha256=``)."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return mac.hexdigest()


def verify(*, body: bytes, timestamp: str, signature: str, client: str) -> Verified:
    """Check the signature and the time window; raise ``WebhookRefused`` (logged) otherwise."""
    configured = secrets()
    if not configured:
        _refuse(client, "not_configured")
    if not timestamp or not signature:
        _refuse(client, "unsigned")
    try:
        sent = int(timestamp)
    except ValueError:
        _refuse(client, "bad_timestamp")
    tolerance = int(getattr(settings, "TELEPHONY_WEBHOOK_TOLERANCE_SECONDS", 300))
    if abs(clock.now().timestamp() - sent) > tolerance:
        _refuse(client, "stale")
    given = signature.removeprefix("sha256=").strip().lower()
    if not any(hmac.compare_digest(sign(s, timestamp, body), given) for s in configured):
        _refuse(client, "bad_signature")
    return Verified(signature=given, body=body)


def _refuse(client: str, reason: str) -> None:
    logger.warning("telephony webhook refused: %s from %s", reason, client)
    messages = {
        "not_configured": _("The CTI webhook is not configured on this server."),
        "unsigned": _("The request is not signed."),
        "bad_timestamp": _("The request's timestamp is not a number of seconds."),
        "stale": _("The request's timestamp is too old or in the future; sign it anew."),
        "bad_signature": _("The request's signature does not match."),
    }
    raise WebhookRefused(f"webhook_{reason}", messages[reason])


def remember(verified: Verified, client: str) -> None:
    """Keep the signature in the caller's transaction; a second use is a replay."""
    try:
        with transaction.atomic():
            WebhookReceipt.objects.create(signature=verified.signature, received_at=clock.now())
    except IntegrityError:
        logger.warning("telephony webhook refused: replayed from %s", client)
        raise WebhookReplayed(
            "webhook_replayed",
            _("This signed request was already received; sign a retry anew."),
        ) from None


def receipts_purge(*, now: dt.datetime | None = None) -> int:
    tolerance = int(getattr(settings, "TELEPHONY_WEBHOOK_TOLERANCE_SECONDS", 300))
    cutoff = (now or clock.now()) - dt.timedelta(seconds=2 * tolerance)
    deleted, _rows = WebhookReceipt.objects.filter(received_at__lt=cutoff).delete()
    return deleted


def parse(body: bytes) -> list[CallEvent]:
    """The events of a request body: one event object, or ``{"events": [...]}``."""
    if len(body) > MAX_BODY_BYTES:
        raise ValidationFailed(
            [FieldError("body", "body_too_large", _("The request is too large."))]
        )
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValidationFailed(
            [FieldError("body", "body_not_json", _("The request body is not JSON in UTF-8."))]
        ) from None
    items = data.get("events") if isinstance(data, dict) and "events" in data else [data]
    if not isinstance(items, list) or not items or len(items) > MAX_EVENTS:
        raise ValidationFailed(
            [
                FieldError(
                    "events",
                    "events_count",
                    _("Send from 1 to %(max)s events."),
                    max=MAX_EVENTS,
                )
            ]
        )
    return [_event(item, n) for n, item in enumerate(items)]


def _event(item: Any, n: int) -> CallEvent:
    prefix = f"events[{n}]."
    if not isinstance(item, dict):
        raise ValidationFailed(
            [FieldError(prefix.rstrip("."), "event_not_object", _("An event is a JSON object."))]
        )
    errors: list[FieldError] = []
    kind = item.get("type")
    if kind not in CallEventKind.__members__.values():
        errors.append(FieldError(prefix + "type", "type_unknown", _("Unknown event type.")))
    seq = item.get("seq")
    if not isinstance(seq, int) or isinstance(seq, bool):
        errors.append(
            FieldError(prefix + "seq", "seq_invalid", _("The sequence is a whole number."))
        )
    at = _moment(item.get("at"))
    if at is None:
        errors.append(
            FieldError(
                prefix + "at",
                "at_invalid",
                _("Give the time in ISO 8601 with its offset, e.g. 2026-12-04T10:15:00+05:00."),
            )
        )
    call_id = item.get("call_id")
    if not isinstance(call_id, str) or not call_id.strip():
        errors.append(FieldError(prefix + "call_id", "required", _("The call id is required.")))
    texts: dict[str, str] = {}
    for name in TEXT_FIELDS:
        value = item.get(name, "")
        if value is None:
            value = ""
        if not isinstance(value, str | int) or isinstance(value, bool) or len(str(value)) > 500:
            errors.append(FieldError(prefix + name, "invalid", _("This value is not valid.")))
            continue
        texts[name] = str(value).strip()
    rating = item.get("rating")
    seconds = item.get("recording_seconds")
    if seconds is not None and (
        not isinstance(seconds, int) or isinstance(seconds, bool) or seconds < 0
    ):
        errors.append(
            FieldError(prefix + "recording_seconds", "invalid", _("This value is not valid."))
        )
    if rating is not None and (isinstance(rating, bool) or not isinstance(rating, int)):
        errors.append(
            FieldError(prefix + "rating", "rating_out_of_range", _("The rating is a whole number."))
        )
    if errors:
        raise ValidationFailed(errors)
    assert isinstance(call_id, str)
    assert isinstance(seq, int)
    assert at is not None
    return CallEvent(
        call_id=call_id.strip(),
        seq=seq,
        kind=CallEventKind(str(kind)),
        at=at,
        source="webhook",
        line=texts["line"],
        caller=texts["caller"],
        language=texts["language"],
        service=texts["service"],
        queue=texts["queue"],
        operator=texts["operator"],
        target_operator=texts["target_operator"],
        target_queue=texts["target_queue"],
        notice=texts["notice"],
        recording_uri=texts["recording_uri"],
        reason=texts["reason"],
        rating=rating,
        recording_seconds=seconds,
    )


def _moment(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None
