"""Writes of telephony: CTI events in, call records out, work handed to the router (R16).

``call_event_ingest`` is the one entry for every adapter. It stores the event once (by call id
and sequence), rebuilds the call record from all the call's events in sequence order, and tells
the router what changed: a new call is a task; an answer assigns it; a transfer puts it back in a
queue by competence; the end completes it (the operator goes to wrap-up); a hang-up while
waiting cancels it.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import asdict, dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from qoldau.accounts.access import access_require_role
from qoldau.audit.services import audit_record
from qoldau.core import clock, events
from qoldau.core.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from qoldau.core.identifiers import normalise_phone
from qoldau.policy.selectors import policy_value
from qoldau.registry.selectors import service_get_by_register_number
from qoldau.routing import services as routing
from qoldau.routing.enums import WorkChannel
from qoldau.routing.models import Operator
from qoldau.routing.selectors import routing_queue_exists
from qoldau.telephony.control import command_send, control_mode
from qoldau.telephony.enums import FINISHED, CallState
from qoldau.telephony.folding import CallFacts, FoldEvent, fold
from qoldau.telephony.models import CallRecord, CallTransfer, StoredCallEvent
from qoldau.telephony.ports import CallEvent, CallEventKind

logger = logging.getLogger(__name__)
CALL_ID_MAX = 128
LANGUAGES = frozenset({"kk", "ru", "en"})


@dataclass(frozen=True)
class IngestResult:
    call: CallRecord
    duplicate: bool


def _payload(event: CallEvent) -> dict[str, Any]:
    data = asdict(event)
    for key in ("call_id", "seq", "kind", "at", "source"):
        data.pop(key)
    return {k: v for k, v in data.items() if v not in ("", None, {}, [])}


def _check(event: CallEvent) -> None:
    """Reject what no PBX should send; nothing is stored then."""
    errors: list[FieldError] = []
    if not event.call_id or len(event.call_id) > CALL_ID_MAX:
        errors.append(
            FieldError("call_id", "call_id_invalid", _("The call id is missing or too long."))
        )
    if event.seq < 0 or event.seq > 2**62:
        errors.append(
            FieldError("seq", "seq_invalid", _("The event sequence must be a positive number."))
        )
    if event.at.tzinfo is None:
        errors.append(FieldError("at", "at_naive", _("The event time must carry its time zone.")))
    if event.kind == CallEventKind.RATING:
        scale = _rating_scale(event.at)
        if (
            not isinstance(event.rating, int)
            or isinstance(event.rating, bool)
            or not (1 <= event.rating <= scale)
        ):
            errors.append(
                FieldError(
                    "rating",
                    "rating_out_of_range",
                    _("The rating must be a whole number from 1 to %(max)s."),
                    max=scale,
                )
            )
    if event.language and event.language not in LANGUAGES:
        errors.append(FieldError("language", "language_unknown", _("Use kk, ru or en.")))
    if errors:
        raise ValidationFailed(errors)


def _rating_scale(at: dt.datetime) -> int:
    return policy_value("rating_scale", at).as_int()


def call_event_check(event: CallEvent) -> None:
    """Raise ``ValidationFailed`` naming the field where ``event`` is not acceptable."""
    _check(event)


def call_event_ingest(event: CallEvent) -> IngestResult:
    """Store ``event`` once and bring the call record and the router up to date.

    Runs in the caller's transaction when there is one (the webhook stores a whole signed
    request at once), else in its own."""
    _check(event)
    payload = _payload(event)
    with transaction.atomic():
        try:
            with transaction.atomic():
                StoredCallEvent.objects.create(
                    call_id=event.call_id,
                    seq=event.seq,
                    kind=event.kind.value,
                    at=event.at,
                    source=event.source,
                    payload=payload,
                    received_at=clock.now(),
                )
        except IntegrityError:
            stored = StoredCallEvent.objects.get(call_id=event.call_id, seq=event.seq)
            if stored.kind != event.kind.value or stored.payload != payload:
                raise Conflict(
                    "call_event_conflict",
                    _("Event %(seq)s of call %(call)s was already received with other data."),
                    field="seq",
                    params={"seq": event.seq, "call": event.call_id},
                ) from None
            call = CallRecord.objects.get(call_id=event.call_id)
            return IngestResult(call=call, duplicate=True)
        call = _rebuild(event)
    return IngestResult(call=call, duplicate=False)


def _operator(name: str) -> Operator | None:
    """The operator an event names: extension (``PJSIP/1001`` → ``1001``) or login."""
    if not name:
        return None
    bare = name.split("/", 1)[-1].split("@", 1)[0].split("-", 1)[0]
    found = Operator.objects.select_related("user").filter(extension=bare).first()
    if found is None:
        found = Operator.objects.select_related("user").filter(user__username=name).first()
    return found


def _rebuild(event: CallEvent) -> CallRecord:
    rows = StoredCallEvent.objects.filter(call_id=event.call_id).order_by("seq")
    facts = fold(FoldEvent(r.seq, r.kind, r.at, r.payload) for r in rows)
    call = CallRecord.objects.select_for_update().filter(call_id=event.call_id).first()
    created = call is None
    before_state = call.state if call is not None else ""
    before_operator = call.operator_id if call is not None else None
    before_transfers = call.transfers if call is not None else 0
    if call is None:
        call = CallRecord(call_id=event.call_id, source=event.source)
    operator = _operator(facts.operator)
    _copy(call, facts, operator)
    if facts.operator and operator is None:
        call.anomalies = [*call.anomalies, f"unknown_operator:{facts.operator}"][-20:]
    call.save()
    _sync_transfers(call, facts)
    _route(call, facts, operator, created, before_state, before_operator, before_transfers)
    if event.kind == CallEventKind.RECORDING and call.recording_uri:
        events.publish("telephony.recording_available", call=call)
    if event.kind == CallEventKind.RATING and call.rating is not None:
        events.publish("telephony.rated", call=call)
    return call


def _copy(call: CallRecord, facts: CallFacts, operator: Operator | None) -> None:
    call.line = facts.line[:40]
    call.caller_raw = facts.caller_raw[:64]
    if facts.caller_raw:
        try:
            call.caller = normalise_phone(facts.caller_raw)
        except FieldError:
            call.caller = ""  # anonymous or foreign numbers stay as received
    call.language = facts.language if facts.language in LANGUAGES else ""
    service = (
        service_get_by_register_number(register_number=facts.service) if facts.service else None
    )
    call.service = service
    call.queue = facts.queue[:40]
    call.state = facts.state
    call.arrived_at = facts.arrived_at or clock.now()
    call.queued_at = facts.queued_at
    call.offered_at = facts.offered_at
    call.answered_at = facts.answered_at
    call.ended_at = facts.ended_at
    call.wait_seconds = facts.wait_seconds
    call.talk_seconds = facts.talk_seconds
    call.abandoned = facts.abandoned
    call.operator = operator.user if operator is not None else None
    call.transfers = len(facts.transfers)
    call.rating = facts.rating
    call.rated_at = facts.rated_at
    call.recording_uri = facts.recording_uri[:500]
    call.recording_seconds = facts.recording_seconds
    call.ended_reason = facts.ended_reason
    call.last_seq = facts.last_seq
    call.anomalies = facts.anomalies[-20:]
    call.updated_at = clock.now()


def _sync_transfers(call: CallRecord, facts: CallFacts) -> None:
    known = set(CallTransfer.objects.filter(call=call).values_list("seq", flat=True))
    for fact in facts.transfers:
        if fact.seq in known:
            continue
        source = _operator(fact.from_operator)
        target = _operator(fact.to_operator)
        CallTransfer.objects.create(
            call=call,
            seq=fact.seq,
            at=fact.at,
            from_operator=source.user if source else None,
            to_operator=target.user if target else None,
            to_queue=fact.to_queue[:40],
            notice=fact.notice[:200],
        )


LEG = "#leg"


def call_id_of_task(ref: str) -> str:
    """The call a voice task belongs to (a leg after a transfer is ``<call id>#leg<n>``)."""
    return ref.split(LEG, 1)[0]


def _leg(call_id: str, transfers: int) -> str:
    return call_id if transfers == 0 else f"{call_id}{LEG}{transfers}"


def _route(
    call: CallRecord,
    facts: CallFacts,
    operator: Operator | None,
    created: bool,
    before_state: str,
    before_operator: int | None,
    before_transfers: int,
) -> None:
    """Tell the router what this event changed (each call is idempotent on its side)."""
    # With control of the PBX the router offers the call; without it the PBX's own queues
    # distribute calls and the router only follows who answered.
    if control_mode():
        _route_here(call, facts, operator, created, before_state, before_operator, before_transfers)
    else:
        _follow_pbx(call, facts, operator, before_state, before_operator, before_transfers)


def _attributes(call: CallRecord) -> dict[str, Any]:
    return {
        "language": call.language,
        "service": call.service.register_number if call.service else "",
        "line": call.line,
    }


def _route_here(
    call: CallRecord,
    facts: CallFacts,
    operator: Operator | None,
    created: bool,
    before_state: str,
    before_operator: int | None,
    before_transfers: int,
) -> None:
    """Qoldau distributes: one task per call, put back in a queue on a transfer."""
    ref = call.call_id
    if created and not facts.finished:
        routing.task_submit(channel=WorkChannel.VOICE, ref=ref, attributes=_attributes(call))
    if facts.finished:
        if before_state not in FINISHED:
            routing.task_finish(channel=WorkChannel.VOICE, ref=ref, canceled=facts.abandoned)
        return
    if len(facts.transfers) > before_transfers:
        last = facts.transfers[-1]
        routing.task_requeue(
            channel=WorkChannel.VOICE,
            ref=ref,
            queue_code=last.to_queue,
            to_operator=_operator(last.to_operator),
        )
    if (
        call.state == CallState.TALKING
        and operator is not None
        and (before_state != CallState.TALKING or before_operator != operator.user_id)
    ):
        routing.task_assign(channel=WorkChannel.VOICE, ref=ref, operator=operator)


def _follow_pbx(
    call: CallRecord,
    facts: CallFacts,
    operator: Operator | None,
    before_state: str,
    before_operator: int | None,
    before_transfers: int,
) -> None:
    """The PBX distributes: each answered leg is a task already assigned to whoever answered,
    never waiting, so the router offers nobody a call the PBX will give to someone else."""
    legs = len(facts.transfers)
    if facts.finished:
        if before_state not in FINISHED:
            routing.task_finish(channel=WorkChannel.VOICE, ref=_leg(call.call_id, legs))
        return
    if legs > before_transfers:
        routing.task_finish(channel=WorkChannel.VOICE, ref=_leg(call.call_id, before_transfers))
    if (
        call.state == CallState.TALKING
        and operator is not None
        and (before_state != CallState.TALKING or before_operator != operator.user_id)
    ):
        ref = _leg(call.call_id, legs)
        routing.task_submit(
            channel=WorkChannel.VOICE, ref=ref, attributes=_attributes(call), offer=False
        )
        routing.task_assign(channel=WorkChannel.VOICE, ref=ref, operator=operator)


# --- what the operator at the desk asks of the PBX ---------------------------------------------


def _held_call(actor: Any, call_id: str) -> CallRecord:
    """The call ``actor`` is talking on now (supervisors may act on any live call)."""
    call = CallRecord.objects.filter(call_id=call_id).first()
    if call is None or call.state in FINISHED:
        raise NotFound("call_not_live", _("This call is not in progress."))
    own = call.operator_id is not None and call.operator_id == getattr(actor, "pk", None)
    if not own and not actor.has_role("supervisor", "ucc_admin"):
        raise PermissionDenied("forbidden", _("You do not have permission to do this."))
    return call


def call_transfer_request(
    *,
    actor: Any,
    call_id: str,
    queue_code: str = "",
    to_operator_id: int | None = None,
    service: str = "",
    note: str = "",
) -> CallRecord:
    """R12, p.11: pass the call to a queue of another competence or to an operator; the PBX
    tells the caller (a recorded notice in their language) and reports the transfer."""
    access_require_role(actor, "operator", "supervisor", "ucc_admin")
    queue_code = (queue_code or "").strip()
    target = Operator.objects.filter(pk=to_operator_id).first() if to_operator_id else None
    errors: list[FieldError] = []
    if not queue_code and target is None:
        errors.append(
            FieldError("queue", "required", _("Choose a queue (competence) or an operator."))
        )
    if queue_code and not routing_queue_exists(queue_code):
        errors.append(FieldError("queue", "queue_unknown", _("There is no such queue.")))
    if to_operator_id and target is None:
        errors.append(FieldError("operator", "operator_unknown", _("No such operator.")))
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic(durable=True):
        call = _held_call(actor, call_id)
        command_send(
            command="transfer",
            call_id=call.call_id,
            key=f"transfer:{call.last_seq}:{queue_code}:{to_operator_id or ''}",
            queue=queue_code,
            to_extension=target.extension if target is not None else "",
            service=service,
            notice="transfer_notice",
        )
        audit_record(
            actor=actor,
            action="telephony.transfer_requested",
            target=call,
            changes={"queue": queue_code, "operator": to_operator_id, "note": note[:200]},
        )
    return call


def call_hangup_request(*, actor: Any, call_id: str) -> CallRecord:
    access_require_role(actor, "operator", "supervisor", "ucc_admin")
    with transaction.atomic(durable=True):
        call = _held_call(actor, call_id)
        command_send(command="hangup", call_id=call.call_id, key=f"hangup:{call.last_seq}")
        audit_record(actor=actor, action="telephony.hangup_requested", target=call)
    return call


def call_reveal_caller(*, actor: Any, call_id: str) -> CallRecord:
    """The caller's number unmasked: an audited read of personal data (design rule 12)."""
    access_require_role(actor, "operator", "supervisor", "ucc_admin")
    with transaction.atomic(durable=True):
        call = CallRecord.objects.filter(call_id=call_id).first()
        if call is None:
            raise NotFound("call_not_found", _("No such call."))
        audit_record(actor=actor, action="telephony.caller_viewed", target=call)
    return call
