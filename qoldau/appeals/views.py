"""Operator and supervisor screens of appeals: register, find, work, queues (R8-R15)."""

from __future__ import annotations

from typing import Any, Final

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from qoldau.accounts.access import access_require_role
from qoldau.accounts.enums import Role
from qoldau.appeals import services
from qoldau.appeals.enums import Category, HandoffKind
from qoldau.appeals.forms import (
    AppealForm,
    FilterForm,
    LinkForm,
    add_domain_errors,
    error_text,
    form_sent_again,
)
from qoldau.appeals.inputs import clean_appeal_input
from qoldau.appeals.models import Appeal
from qoldau.appeals.ports import MonitoringUnavailable, monitoring_system
from qoldau.appeals.presentation import (
    citation_of,
    deadline_of,
    event_text,
    mask_email,
    mask_iin,
    mask_phone,
)
from qoldau.appeals.selectors import (
    AppealFilters,
    answer_template_list,
    answer_template_text,
    appeal_get,
    appeal_list,
    appeal_outgoing,
    appeal_queue,
    competent_body_list,
)
from qoldau.appeals.submissions import desk_client, recent_twin, register_once
from qoldau.appeals.transitions import actions_from
from qoldau.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from qoldau.registry.models import Organisation

WORK_ROLES: Final = (Role.OPERATOR, Role.SUPERVISOR, Role.UCC_ADMIN)
QUEUE_ROLES: Final = (Role.SUPERVISOR, Role.UCC_ADMIN)
PAGE_SIZE: Final = 50


def _require(request: HttpRequest, *roles: str) -> None:
    try:
        access_require_role(request.user, *roles)
    except PermissionDenied as exc:
        raise HttpForbidden(str(exc.message)) from exc


def _has_role(request: HttpRequest, *roles: str) -> bool:
    try:
        access_require_role(request.user, *roles)
    except PermissionDenied:
        return False
    return True


def _knowledge_url() -> str:
    try:
        return reverse("knowledge:search_results")
    except NoReverseMatch:
        return ""


def _row(appeal: Appeal) -> dict[str, Any]:
    return {
        "appeal": appeal,
        "deadline": deadline_of(appeal),
        "phone": mask_phone(appeal.applicant_phone),
        "iin": mask_iin(appeal.applicant_iin_bin),
        "email": mask_email(appeal.applicant_email),
    }


@login_required
@require_GET
def appeal_list_view(request: HttpRequest) -> HttpResponse:
    _require(request, *WORK_ROLES)
    form = FilterForm(request.GET or None)
    filters = AppealFilters()
    if form.is_valid():
        data = form.cleaned_data
        filters = AppealFilters(
            query=data["q"],
            status=data["status"],
            overdue=data["overdue"],
            service=data["service"],
            region=data["region"],
            channel=data["channel"],
            category=data["category"],
            date_from=data["date_from"],
            date_to=data["date_to"],
        )
    try:
        rows = appeal_list(actor=request.user, filters=filters)
    except DomainError as exc:
        form.add_error(None, str(exc.message))
        rows = appeal_list(actor=request.user)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "appeals/list.html",
        {
            "form": form,
            "page": page,
            "rows": [_row(a) for a in page.object_list],
            "can_see_queue": _has_role(request, *QUEUE_ROLES),
        },
    )


@login_required
@require_GET
def appeal_queue_view(request: HttpRequest) -> HttpResponse:
    _require(request, *QUEUE_ROLES)
    open_rows = list(appeal_queue(actor=request.user)[:PAGE_SIZE])
    overdue_rows = list(appeal_queue(actor=request.user, overdue_only=True)[:PAGE_SIZE])
    return render(
        request,
        "appeals/queue.html",
        {
            "open_rows": [_row(a) for a in open_rows],
            "overdue_rows": [_row(a) for a in overdue_rows],
        },
    )


def appeal_new(request: HttpRequest) -> HttpResponse:
    _require(request, *WORK_ROLES)
    form = AppealForm(
        request.POST or None, request.FILES or None, initial={"language": request.LANGUAGE_CODE}
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        upload = data.pop("attachment", None)
        submission = data.pop("submission", "")
        data["attachments"] = [upload] if upload else []
        try:
            cleaned = clean_appeal_input(data)
            appeal, fresh = register_once(
                data=data,
                submission=submission,
                client=desk_client(request.user),
                register=lambda: services.appeal_register_cleaned(
                    actor=request.user, cleaned=cleaned, acknowledge=True
                ),
                twin=lambda: recent_twin(cleaned, actor=request.user),
            )
        except ValidationFailed as exc:
            for error in exc.errors:
                if error.field == "attachments":
                    error.field = "attachment"
            add_domain_errors(form, exc)
        except Conflict as exc:  # the same form sent again with other content
            form = form_sent_again(AppealForm, request, error_text(exc))
            context = {"form": form, "knowledge_url": _knowledge_url()}
            return render(request, "appeals/new.html", context, status=409)
        else:
            done = (
                _("Appeal %(number)s is registered.")
                if fresh
                else _("This form was already sent: appeal %(number)s is registered.")
            )
            messages.success(request, done % {"number": appeal.number})
            return HttpResponseRedirect(reverse("appeals:detail", args=[appeal.pk]))
    return render(request, "appeals/new.html", {"form": form, "knowledge_url": _knowledge_url()})


appeal_new_view = login_required(require_http_methods(["GET", "POST"])(appeal_new))


def _appeal_or_404(request: HttpRequest, pk: int) -> Appeal:
    try:
        return appeal_get(actor=request.user, appeal_id=pk)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc


@login_required
@require_GET
def appeal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, *WORK_ROLES)
    appeal = _appeal_or_404(request, pk)
    return _detail(request, appeal)


def _detail(request: HttpRequest, appeal: Appeal, **extra: Any) -> HttpResponse:
    user_model = get_user_model()
    context = {
        "appeal": appeal,
        "row": _row(appeal),
        "deadline": deadline_of(appeal),
        "citation": citation_of(appeal),
        "outgoing": [(m, mask_email(m.recipient)) for m in appeal_outgoing(appeal)],
        "events": [(event, event_text(event)) for event in appeal.events.all()],
        "actions": set(actions_from(appeal.status)),
        "templates": list(answer_template_list()),
        "bodies": competent_body_list(language=appeal.language),
        "operators": user_model.objects.filter(
            role_assignments__role__in=WORK_ROLES, is_active=True
        )
        .distinct()
        .order_by("username")[:200],
        "organisations": Organisation.objects.filter(is_active=True).order_by("name_ru")[:500]
        if appeal.category == Category.COMPLAINT
        else [],
        "is_complaint": appeal.category == Category.COMPLAINT,
        "handoff_kinds": HandoffKind,
        "link_form": LinkForm(),
        "personal": None,
        **extra,
    }
    return render(request, "appeals/detail.html", context)


@login_required
@require_POST
def appeal_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """Show the applicant's personal data: the opening is audited."""
    _require(request, *WORK_ROLES)
    appeal = _appeal_or_404(request, pk)
    services.appeal_reveal_personal_data(actor=request.user, appeal_id=appeal.pk)
    return _detail(request, appeal, personal=appeal)


@login_required
@require_GET
def template_text(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx: the chosen answer template's text in the applicant's language."""
    _require(request, *WORK_ROLES)
    appeal = _appeal_or_404(request, pk)
    raw = request.GET.get("template", "")
    text = ""
    if raw.isdigit():
        try:
            text = answer_template_text(template_id=int(raw), language=appeal.language)
        except NotFound:
            text = ""
    return render(request, "appeals/_answer_text.html", {"text": text})


@login_required
@require_POST
def appeal_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    _require(request, *WORK_ROLES)
    appeal = _appeal_or_404(request, pk)
    post = request.POST
    user = request.user
    try:
        if action == "take":
            services.appeal_take(actor=user, appeal_id=appeal.pk)
        elif action == "answer":
            services.appeal_answer(actor=user, appeal_id=appeal.pk, text=post.get("text", ""))
        elif action == "refer":
            body_name, details, article_id = _body_choice(post, appeal.language)
            services.appeal_refer(
                actor=user,
                appeal_id=appeal.pk,
                body_name=body_name,
                body_details=details,
                article_id=article_id,
                note=post.get("note", ""),
            )
        elif action == "forward":
            raw = post.get("organisation", "")
            services.appeal_forward_complaint(
                actor=user,
                appeal_id=appeal.pk,
                organisation_id=int(raw) if raw.isdigit() else 0,
                note=post.get("note", ""),
            )
        elif action == "transfer":
            raw = post.get("to_user", "")
            to_user = (
                get_user_model().objects.filter(pk=int(raw)).first() if raw.isdigit() else None
            )
            services.appeal_transfer(
                actor=user,
                appeal_id=appeal.pk,
                to_user=to_user,
                to_group=post.get("to_group", ""),
                note=post.get("note", ""),
            )
        elif action == "close":
            services.appeal_close(
                actor=user, appeal_id=appeal.pk, measures_taken=post.get("measures_taken", "")
            )
        elif action == "reopen":
            services.appeal_reopen(actor=user, appeal_id=appeal.pk, reason=post.get("reason", ""))
        elif action == "merge":
            services.appeal_merge(
                actor=user, appeal_id=appeal.pk, into_number=post.get("other_number", "")
            )
        elif action == "link":
            services.appeal_link(
                actor=user,
                appeal_id=appeal.pk,
                other_number=post.get("other_number", ""),
                kind=post.get("kind", ""),
            )
        elif action == "inquiry":
            return _status_inquiry(request, appeal)
        else:
            raise Http404(_("No such action."))
    except ValidationFailed as exc:
        for error in exc.errors:
            messages.error(request, str(error.message))
        return HttpResponseRedirect(reverse("appeals:detail", args=[appeal.pk]))
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return HttpResponseRedirect(reverse("appeals:detail", args=[appeal.pk]))
    messages.success(request, _("Done."))
    return HttpResponseRedirect(reverse("appeals:detail", args=[appeal.pk]))


def _body_choice(post: Any, language: str) -> tuple[str, str, int | None]:
    """A competent body from the knowledge base's directory, or one typed by the operator."""
    raw = str(post.get("article", ""))
    if raw.isdigit():
        for body in competent_body_list(language=language):
            if body.article_id == int(raw):
                return body.title, body.details, body.article_id
    return str(post.get("body_name", "")), str(post.get("body_details", "")), None


def _status_inquiry(request: HttpRequest, appeal: Appeal) -> HttpResponse:
    """R15: the stage of an application from the monitoring system, by its number or an IIN."""
    query = request.POST.get("query", "").strip()[:40]
    results = []
    error = ""
    if query:
        try:
            if query.isdigit() and len(query) == 12:
                results = monitoring_system().applications(iin=query)
            else:
                results = monitoring_system().applications(application_number=query)
        except MonitoringUnavailable:
            error = _("The monitoring system does not answer; try again later.")
        else:
            services.appeal_record_status_inquiry(
                actor=request.user,
                appeal_id=appeal.pk,
                query=query,
                found=[{"number": r.application_number, "stage": r.stage} for r in results],
            )
    return _detail(
        request,
        appeal_get(actor=request.user, appeal_id=appeal.pk),
        inquiry={"query": query, "results": results, "error": error, "done": bool(query)},
    )
