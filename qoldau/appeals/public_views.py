"""The citizens' pages (no login, kk/ru/en): file an appeal, check its status."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from qoldau.appeals.enums import Channel
from qoldau.appeals.forms import (
    PublicAppealForm,
    StatusForm,
    add_domain_errors,
    error_text,
    form_sent_again,
)
from qoldau.appeals.inputs import clean_appeal_input
from qoldau.appeals.presentation import deadline_of, event_text
from qoldau.appeals.ratings import appeal_rate, rating_get
from qoldau.appeals.selectors import appeal_find_for_applicant
from qoldau.appeals.services import appeal_register_cleaned
from qoldau.appeals.submissions import PUBLIC_FORM, recent_twin, register_once
from qoldau.core import clock
from qoldau.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from qoldau.core.i18n import current_language
from qoldau.policy.selectors import policy_value


def client_address(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", "") or "unknown")


def rate_limited(request: HttpRequest, scope: str) -> bool:
    """A fixed window per client address in Django's cache: True when over the limit."""
    limit = int(getattr(settings, "APPEALS_PUBLIC_RATE_LIMIT", 5))
    window = int(getattr(settings, "APPEALS_PUBLIC_RATE_WINDOW", 3600))
    key = f"appeals:rate:{scope}:{client_address(request)}"
    if cache.add(key, 1, timeout=window):
        return False
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=window)
        return False
    return count > limit


@require_http_methods(["GET", "POST"])
def public_new(request: HttpRequest) -> HttpResponse:
    form = PublicAppealForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if rate_limited(request, "new"):
            return render(
                request,
                "appeals/public_new.html",
                {"form": form, "error": _("Too many appeals from your address; try later.")},
                status=429,
            )
        if form.is_valid():
            if form.cleaned_data.get("website"):
                # A bot: answer as if accepted, store nothing.
                return render(request, "appeals/public_done.html", {"number": None})
            data = dict(form.cleaned_data)
            upload = data.pop("attachment", None)
            data.pop("website", None)
            submission = data.pop("submission", "")
            data |= {
                "channel": Channel.WEB,
                "language": current_language(),
                "attachments": [upload] if upload else [],
            }
            try:
                cleaned = clean_appeal_input(data)
                appeal, fresh = register_once(
                    data=data,
                    submission=submission,
                    client=PUBLIC_FORM,
                    register=lambda: appeal_register_cleaned(
                        actor=request.user, cleaned=cleaned, acknowledge=True
                    ),
                    twin=lambda: recent_twin(cleaned, actor=request.user),
                )
            except ValidationFailed as exc:
                if any(e.field == "attachments" for e in exc.errors):
                    for error in exc.errors:
                        if error.field == "attachments":
                            error.field = "attachment"
                add_domain_errors(form, exc)
            except Conflict as exc:  # the same form sent again with other content
                form = form_sent_again(PublicAppealForm, request, error_text(exc))
                return render(request, "appeals/public_new.html", {"form": form}, status=409)
            else:
                return render(
                    request,
                    "appeals/public_done.html",
                    {"number": appeal.number, "deadline": deadline_of(appeal), "again": not fresh},
                    status=201 if fresh else 200,
                )
    return render(request, "appeals/public_new.html", {"form": form})


@require_http_methods(["GET", "POST"])
def public_status(request: HttpRequest) -> HttpResponse:
    form = StatusForm(request.POST or None)
    context: dict[str, object] = {"form": form}
    if request.method == "POST":
        if rate_limited(request, "status"):
            context["error"] = _("Too many attempts from your address; try later.")
            return render(request, "appeals/public_status.html", context, status=429)
        if form.is_valid():
            appeal = appeal_find_for_applicant(
                number=form.cleaned_data["number"], contact=form.cleaned_data["contact"]
            )
            if appeal is None:
                context["error"] = _(
                    "No appeal matches this number and contact. Check both and try again."
                )
            else:
                context["appeal"] = appeal
                context["deadline"] = deadline_of(appeal)
                context["events"] = [(e, event_text(e)) for e in appeal.events.all()]
    return render(request, "appeals/public_status.html", context)


@require_http_methods(["GET", "POST"])
def public_rate(request: HttpRequest, token: str) -> HttpResponse:
    """The applicant rates a closed appeal from the link in the e-mail (no sign-in)."""
    try:
        rating = rating_get(token=token)
    except NotFound as exc:
        return render(request, "appeals/public_rate.html", {"error": exc.message}, status=404)
    scale = policy_value("rating_scale", clock.now()).as_int()
    context: dict[str, object] = {
        "rating": rating,
        "number": rating.appeal.number,
        "scores": list(range(1, scale + 1)),
    }
    if request.method == "POST":
        if rate_limited(request, "rate"):
            context["error"] = _("Too many attempts from your address; try later.")
            return render(request, "appeals/public_rate.html", context, status=429)
        try:
            appeal_rate(
                token=token,
                score=request.POST.get("score", ""),
                comment=request.POST.get("comment", ""),
            )
        except ValidationFailed as exc:
            context["error"] = exc.errors[0].message % exc.errors[0].params
            context["field"] = exc.errors[0].field
            return render(request, "appeals/public_rate.html", context, status=422)
        except DomainError as exc:
            context["error"] = exc.message
            return render(request, "appeals/public_rate.html", context, status=409)
        context["thanks"] = True
    return render(request, "appeals/public_rate.html", context)
