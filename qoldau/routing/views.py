"""Supervisor screens of work distribution: operators with presence, competences and queues
(move operators between queues), and training records that grant competences (R12, R18)."""

from __future__ import annotations

import datetime as dt
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
from qoldau.core.errors import DomainError, PermissionDenied, ValidationFailed
from qoldau.core.form_tokens import form_token_new, form_token_valid
from qoldau.registry.models import Organisation
from qoldau.routing.admin_services import TRAINER_KINDS, queue_member_set, training_record_once
from qoldau.routing.enums import Presence, TrainingResult
from qoldau.routing.models import Training
from qoldau.routing.selectors import operator_list, queue_list, skill_list, tasks_waiting

MANAGERS: Final = (Role.SUPERVISOR, Role.UCC_ADMIN)


def _require(request: HttpRequest) -> None:
    try:
        access_require_role(request.user, *MANAGERS)
    except PermissionDenied as exc:
        raise HttpForbidden(str(exc.message)) from exc


@login_required
@require_GET
def operators(request: HttpRequest) -> HttpResponse:
    _require(request)
    queues = list(queue_list())
    rows = []
    for operator in operator_list():
        member_of = {q.pk for q in operator.queues.all()}
        rows.append(
            {
                "operator": operator,
                "presence": Presence(operator.presence).label,
                "languages": sorted(operator.languages.all(), key=lambda x: x.language),
                "skills": sorted(operator.skills.all(), key=lambda x: x.skill.code),
                "queues": [(q, q.pk in member_of) for q in queues],
            }
        )
    context = {"rows": rows, "queues": queues, "waiting": tasks_waiting().count()}
    return render(request, "routing/operators.html", context)


@login_required
@require_POST
def membership(request: HttpRequest) -> HttpResponse:
    _require(request)
    try:
        queue_member_set(
            actor=request.user,
            queue_id=int(request.POST.get("queue", "0") or 0),
            operator_id=int(request.POST.get("operator", "0") or 0),
            member=request.POST.get("member") == "1",
        )
    except (DomainError, ValueError) as exc:
        messages.error(request, str(getattr(exc, "message", exc)))
    return HttpResponseRedirect(reverse("routing:operators"))


def _results(request: HttpRequest, operator_ids: list[int]) -> dict[int, str]:
    results: dict[int, str] = {}
    for operator_id in operator_ids:
        value = request.POST.get(f"result-{operator_id}", "")
        if value:
            results[operator_id] = value
    return results


@login_required
@require_http_methods(["GET", "POST"])
def training_new(request: HttpRequest) -> HttpResponse:
    _require(request)
    people = list(operator_list())
    errors: dict[str, str] = {}
    values: dict[str, Any] = dict(request.POST.items()) if request.method == "POST" else {}
    submission = values.get("submission", "")
    if not form_token_valid(submission):
        submission = values["submission"] = form_token_new()
    if request.method == "POST":
        try:
            held_on = dt.date.fromisoformat(request.POST.get("held_on", ""))
        except ValueError:
            errors["held_on"] = _("Give the date of the training.")
            held_on = None
        try:
            trainer_id = int(request.POST.get("trainer", "") or 0)
            skill_id = int(request.POST.get("skill", "") or 0)
        except ValueError:
            trainer_id = skill_id = 0
        if not trainer_id:
            errors["trainer"] = _("Choose who trained.")
        if not skill_id:
            errors["skill"] = _("Choose the competence the training gives.")
        if not errors and held_on is not None:
            try:
                training, recorded = training_record_once(
                    submission=submission,
                    actor=request.user,
                    topic_kk=request.POST.get("topic_kk", ""),
                    topic_ru=request.POST.get("topic_ru", ""),
                    topic_en=request.POST.get("topic_en", ""),
                    trainer_id=trainer_id,
                    held_on=held_on,
                    skill_id=skill_id,
                    skill_level=request.POST.get("skill_level", "3"),
                    is_retraining=request.POST.get("is_retraining") == "on",
                    results=_results(request, [p.pk for p in people]),
                )
            except ValidationFailed as exc:
                for error in exc.errors:
                    text = str(error.message)
                    errors[error.field or "results"] = text % error.params if error.params else text
            else:
                if recorded:
                    messages.success(
                        request, _("The training is recorded; competences are granted.")
                    )
                else:
                    text = _(
                        "This form was already sent and the training “%(topic)s” is recorded. "
                        "Nothing was recorded again; open a new form for another training."
                    )
                    messages.warning(request, text % {"topic": training})
                return HttpResponseRedirect(reverse("routing:trainings") + f"#t{training.pk}")
    context = {
        "people": people,
        "skills": skill_list(),
        "trainers": Organisation.objects.filter(kind__in=TRAINER_KINDS).order_by("name_ru"),
        "results": TrainingResult.choices,
        "errors": errors,
        "values": values,
    }
    return render(request, "routing/training_new.html", context, status=422 if errors else 200)


@login_required
@require_GET
def trainings(request: HttpRequest) -> HttpResponse:
    _require(request)
    rows = (
        Training.objects.select_related("trainer", "skill", "bylaw")
        .prefetch_related("results__operator__user")
        .order_by("-held_on", "-pk")[:100]
    )
    return render(request, "routing/trainings.html", {"trainings": rows})
