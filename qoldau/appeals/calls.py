"""Appeals and calls together (R16): the caller's history for the screen pop, and registering
an appeal during a call, linked to it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from qoldau.appeals.inputs import clean_appeal_input
from qoldau.appeals.models import Appeal, CallAppeal
from qoldau.appeals.services import appeal_event_add, appeal_register_cleaned
from qoldau.core import clock
from qoldau.core.errors import NotFound, PermissionDenied
from qoldau.routing.enums import ReservationState, WorkChannel
from qoldau.routing.models import Reservation
from qoldau.telephony.models import CallRecord
from qoldau.telephony.services import LEG

HISTORY_LIMIT = 8


@dataclass(frozen=True)
class CallerHistory:
    calls: list[CallRecord]
    appeals: list[Appeal]


def caller_history(*, call: CallRecord) -> CallerHistory:
    """The caller's earlier calls and appeals (by the normalised number), newest first."""
    if not call.caller:
        return CallerHistory(calls=[], appeals=[])
    calls = list(
        CallRecord.objects.filter(caller=call.caller)
        .exclude(pk=call.pk)
        .select_related("operator", "service")
        .order_by("-arrived_at")[:HISTORY_LIMIT]
    )
    appeals = list(
        Appeal.objects.filter(applicant_phone=call.caller)
        .select_related("service")
        .order_by("-registered_at")[:HISTORY_LIMIT]
    )
    return CallerHistory(calls=calls, appeals=appeals)


def call_appeals(*, call: CallRecord) -> list[Appeal]:
    return [link.appeal for link in CallAppeal.objects.filter(call=call).select_related("appeal")]


def _handled_by(actor: Any, call: CallRecord) -> bool:
    """Whether ``actor`` may register an appeal against ``call``: the operator who talked to the
    caller (also after passing the call on), or a supervisor."""
    if actor.has_role("supervisor", "ucc_admin") or call.operator_id == actor.pk:
        return True
    return Reservation.objects.filter(
        Q(task__ref=call.call_id) | Q(task__ref__startswith=f"{call.call_id}{LEG}"),
        operator__user=actor,
        channel=WorkChannel.VOICE,
        state__in=[ReservationState.ACCEPTED, ReservationState.COMPLETED],
    ).exists()


def appeal_register_for_call(*, actor: Any, data: dict[str, Any], call_id: str) -> Appeal:
    """Register an appeal from the desk during a call, inside the caller's transaction (the
    form's, sent once): the call's number, line and language are the applicant's unless the
    operator changed them; the appeal is linked to the call."""
    call = CallRecord.objects.filter(call_id=call_id).first()
    if call is None:
        raise NotFound("call_not_found", _("No such call."))
    if not _handled_by(actor, call):
        raise PermissionDenied("forbidden", _("You do not have permission to do this."))
    data = {
        "channel": "phone",
        "phone": call.caller,
        "language": call.language or "kk",
        "service": call.service.register_number if call.service else "",
        "received_at": call.arrived_at,
        **{k: v for k, v in data.items() if v not in ("", None)},
    }
    cleaned = clean_appeal_input(data)
    with transaction.atomic():
        appeal = appeal_register_cleaned(actor=actor, cleaned=cleaned, acknowledge=True)
        CallAppeal.objects.create(call=call, appeal=appeal, linked_at=clock.now())
        appeal_event_add(
            appeal=appeal,
            code="call_linked",
            actor=actor,
            params={"call": call.call_id},
            public=False,
        )
    return appeal
