"""The operator's desk (R12, R16): presence, the call offered and the call in work with the
caller's history (screen pop), transfer and end, and the appeal form beside the knowledge base.

The call panel polls every second; it answers 204 (nothing to redraw) while the desk's state
key stays the same. When it does redraw (the caller hangs up, a written appeal is offered), the
appeal form of a call is kept as typed (``hx-preserve``, one form id per call). A call that
left the operator keeps its card and form until the operator closes it (``AFTER_CALL_KEPT`` at
most), so an appeal the caller hung up on is still registered against their call.
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property
from typing import Any, Final

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from qoldau.accounts.access import access_require_role
from qoldau.accounts.enums import Role
from qoldau.appeals.calls import appeal_register_for_call, call_appeals, caller_history
from qoldau.appeals.forms import AppealForm, add_domain_errors, error_text, form_sent_again
from qoldau.appeals.models import Appeal
from qoldau.appeals.presentation import mask_phone
from qoldau.appeals.submissions import desk_client, register_once
from qoldau.appeals.views import _knowledge_url
from qoldau.core import clock
from qoldau.core.errors import Conflict, DomainError, PermissionDenied, ValidationFailed
from qoldau.routing import services as routing
from qoldau.routing.enums import Presence
from qoldau.routing.models import Operator
from qoldau.routing.selectors import (
    desk_state,
    queue_list,
    transfer_targets,
    voice_work_finished,
)
from qoldau.telephony import services as telephony
from qoldau.telephony.models import CallRecord
from qoldau.telephony.services import call_id_of_task

DESK_ROLES: Final = (Role.OPERATOR, Role.SUPERVISOR, Role.UCC_ADMIN)
CHOOSABLE: Final = (Presence.AVAILABLE, Presence.BREAK, Presence.OFFLINE)
AFTER_CALL_KEPT: Final = dt.timedelta(hours=1)
AFTER_CALLS_SHOWN: Final = 3
CLOSED_CALLS: Final = "desk_closed_calls"  # session key: the calls whose cards were closed
CLOSED_CALLS_KEPT: Final = 50


def _operator(request: HttpRequest) -> Operator:
    try:
        access_require_role(request.user, *DESK_ROLES)
    except PermissionDenied as exc:
        raise HttpForbidden(str(exc.message)) from exc
    return routing.operator_ensure(user=request.user)


def _call_of(state: Any) -> CallRecord | None:
    reservation = state.call or state.offer
    if reservation is None:
        return None
    return (
        CallRecord.objects.select_related("service", "operator")
        .filter(call_id=call_id_of_task(reservation.task.ref))
        .first()
    )


def _form_ids(call: CallRecord) -> str:
    """The ids of a call's form elements: a finished call's form may stand beside the next's."""
    return f"id_call{call.pk}_%s"


def _masked_caller(call: CallRecord) -> str:
    return mask_phone(call.caller) or call.caller_raw[:3] + "•••"


def _appeal_form(call: CallRecord, request: HttpRequest, *, bound: bool = False) -> AppealForm:
    auto_id = _form_ids(call)
    if bound:
        return AppealForm(request.POST, request.FILES, auto_id=auto_id)
    return AppealForm(
        auto_id=auto_id,
        initial={
            "channel": "phone",
            "language": call.language or request.LANGUAGE_CODE,
            "line": call.line,
            "service": call.service.register_number if call.service else "",
        },
    )


class _FinishedCall:
    """A finished call's card. Its appeals and form are read only when the card is drawn, not
    on each poll that finds nothing changed."""

    def __init__(self, call: CallRecord, request: HttpRequest) -> None:
        self.call = call
        self.request = request
        self.caller_masked = _masked_caller(call)

    @cached_property
    def linked_appeals(self) -> list[Appeal]:
        return call_appeals(call=self.call)

    @cached_property
    def form(self) -> AppealForm:
        return _appeal_form(self.call, self.request)


def _after_calls(
    request: HttpRequest, operator: Operator, *, live: CallRecord | None
) -> list[_FinishedCall]:
    """The calls that left the operator within ``AFTER_CALL_KEPT`` and whose cards are not
    closed, the latest first."""
    closed = set(request.session.get(CLOSED_CALLS, []))
    finished = voice_work_finished(
        operator,
        since=clock.now() - AFTER_CALL_KEPT,
        limit=AFTER_CALLS_SHOWN + len(closed) + 1,
    )
    wanted: list[str] = []
    for reservation in finished:
        call_id = call_id_of_task(reservation.task.ref)
        if call_id in closed or call_id in wanted or (live and live.call_id == call_id):
            continue
        wanted.append(call_id)
    calls = CallRecord.objects.select_related("service").in_bulk(
        wanted[:AFTER_CALLS_SHOWN], field_name="call_id"
    )
    return [_FinishedCall(calls[c], request) for c in wanted[:AFTER_CALLS_SHOWN] if c in calls]


def _panel_context(request: HttpRequest, operator: Operator) -> dict[str, Any]:
    state = desk_state(operator)
    call = _call_of(state)
    after_calls = _after_calls(request, operator, live=call)
    context: dict[str, Any] = {
        "state": state,
        "operator": operator,
        "call": call,
        "after_calls": after_calls,
        "presence_choices": [(p, Presence(p).label) for p in CHOOSABLE],
        "presence_label": Presence(operator.presence).label,
        "now": clock.now(),
    }
    # Redraw when the offers change, the call moves on (rings, is answered, ends), or a
    # finished call's card comes or goes.
    finished = ",".join(str(after.call.pk) for after in after_calls)
    context["desk_key"] = f"{state.key}|{call.state if call else ''}|{finished}"
    if call is not None:
        context["caller_masked"] = _masked_caller(call)
        context["waited"] = int((clock.now() - call.arrived_at).total_seconds())
        context["answer_wait"] = int(call.wait_seconds) if call.wait_seconds is not None else None
    if call is not None:
        # Shown already while the phone rings, so the operator answers knowing the caller.
        history = caller_history(call=call)
        context.update(
            history=history,
            history_calls=[{"call": c, "phone": mask_phone(c.caller)} for c in history.calls],
            history_appeals=[
                {"appeal": a, "phone": mask_phone(a.applicant_phone)} for a in history.appeals
            ],
            linked_appeals=call_appeals(call=call),
            queues=queue_list(),
            targets=transfer_targets(exclude=operator),
            form=_appeal_form(call, request),
        )
    return context


def _form_back_in_place(
    context: dict[str, Any], call: CallRecord, request: HttpRequest, form: AppealForm
) -> None:
    """Put the refused ``form`` where the operator typed it: the call in work, a finished
    call's card, or a card of its own if the call's card has gone meanwhile."""
    live = context.get("call")
    if live is not None and live.call_id == call.call_id and context["state"].call is not None:
        context["form"] = form
        return
    cards = context["after_calls"]
    card = next((c for c in cards if c.call.call_id == call.call_id), None)
    if card is None:
        card = _FinishedCall(call, request)
        cards.insert(0, card)
    card.form = form


@login_required
@require_GET
def desk(request: HttpRequest) -> HttpResponse:
    operator = _operator(request)
    context = _panel_context(request, operator)
    context["knowledge_url"] = _knowledge_url()
    return render(request, "appeals/desk.html", context)


@login_required
@require_GET
def desk_panel(request: HttpRequest) -> HttpResponse:
    operator = _operator(request)
    context = _panel_context(request, operator)
    if request.GET.get("key") == context["desk_key"]:
        return HttpResponse(status=204)
    context["knowledge_url"] = _knowledge_url()
    return render(request, "appeals/_desk_panel.html", context)


def _back(request: HttpRequest) -> HttpResponse:
    target = reverse("appeals:desk")
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = target
        return response
    return HttpResponseRedirect(target)


def _run(request: HttpRequest, action: Any) -> HttpResponse:
    try:
        action()
    except ValidationFailed as exc:
        for error in exc.errors:
            messages.error(
                request, str(error.message) % error.params if error.params else str(error.message)
            )
    except DomainError as exc:
        messages.error(request, str(exc.message))
    return _back(request)


@login_required
@require_POST
def desk_presence(request: HttpRequest) -> HttpResponse:
    operator = _operator(request)
    wanted = request.POST.get("presence", "")
    return _run(
        request,
        lambda: routing.operator_set_presence(
            actor=request.user, operator_id=operator.pk, presence=wanted
        ),
    )


@login_required
@require_POST
def desk_answer(request: HttpRequest, reservation_id: int) -> HttpResponse:
    _operator(request)
    if request.POST.get("decision") == "reject":
        return _run(
            request,
            lambda: routing.reservation_reject(actor=request.user, reservation_id=reservation_id),
        )
    try:
        reservation = routing.reservation_accept(actor=request.user, reservation_id=reservation_id)
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return _back(request)
    if reservation.channel != "voice":
        # A written appeal taken from the desk opens for work.
        appeal = Appeal.objects.filter(number=reservation.task.ref).first()
        if appeal is not None:
            return HttpResponseRedirect(reverse("appeals:detail", args=[appeal.pk]))
    return _back(request)


@login_required
@require_POST
def desk_transfer(request: HttpRequest, call_id: str) -> HttpResponse:
    _operator(request)
    target = request.POST.get("operator", "")

    def transfer() -> None:
        telephony.call_transfer_request(
            actor=request.user,
            call_id=call_id,
            queue_code=request.POST.get("queue", ""),
            to_operator_id=int(target) if target.isdigit() else None,
            note=request.POST.get("note", ""),
        )
        messages.success(request, _("The caller is told and the call is being transferred."))

    return _run(request, transfer)


@login_required
@require_POST
def desk_hangup(request: HttpRequest, call_id: str) -> HttpResponse:
    _operator(request)
    return _run(request, lambda: telephony.call_hangup_request(actor=request.user, call_id=call_id))


@login_required
@require_POST
def desk_reveal(request: HttpRequest, call_id: str) -> HttpResponse:
    _operator(request)
    try:
        call = telephony.call_reveal_caller(actor=request.user, call_id=call_id)
    except DomainError as exc:
        return HttpResponse(str(exc.message), status=404)
    return HttpResponse(call.caller or call.caller_raw, content_type="text/plain; charset=utf-8")


@login_required
@require_http_methods(["POST"])
def desk_register(request: HttpRequest, call_id: str) -> HttpResponse:
    operator = _operator(request)
    call = CallRecord.objects.select_related("service").filter(call_id=call_id).first()
    if call is None:
        messages.error(request, _("No such call."))
        return _back(request)
    form = _appeal_form(call, request, bound=True)
    if form.is_valid():
        data = dict(form.cleaned_data)
        upload = data.pop("attachment", None)
        submission = data.pop("submission", "")
        data["attachments"] = [upload] if upload else []
        try:
            appeal, fresh = register_once(
                data={**data, "call": call_id},
                submission=submission,
                client=desk_client(request.user),
                register=lambda: appeal_register_for_call(
                    actor=request.user, data=data, call_id=call_id
                ),
            )
        except ValidationFailed as exc:
            add_domain_errors(form, exc)
        except Conflict as exc:  # the same form sent again with other content
            form = form_sent_again(AppealForm, request, error_text(exc), auto_id=_form_ids(call))
        except DomainError as exc:
            messages.error(request, str(exc.message))
            return _back(request)
        else:
            done = (
                _("Appeal %(number)s is registered.")
                if fresh
                else _("This form was already sent: appeal %(number)s is registered.")
            )
            messages.success(request, done % {"number": appeal.number})
            return _back(request)
    context = _panel_context(request, operator)
    _form_back_in_place(context, call, request, form)
    context["knowledge_url"] = _knowledge_url()
    return render(request, "appeals/desk.html", context, status=422)


@login_required
@require_POST
def desk_close(request: HttpRequest, call_id: str) -> HttpResponse:
    """The operator is done with a finished call: its card leaves the desk (this session)."""
    _operator(request)
    closed = [c for c in request.session.get(CLOSED_CALLS, []) if c != call_id]
    request.session[CLOSED_CALLS] = [*closed, call_id[:128]][-CLOSED_CALLS_KEPT:]
    return _back(request)
