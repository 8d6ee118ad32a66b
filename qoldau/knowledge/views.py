"""Knowledge-base pages of the contact center's staff: the operators' search (R6) and article
reader, the editors' dashboard, article list and side-by-side editor with review, history and
diff (R5), and the review flags (R23). Views parse input, call one service or selector and render.
"""

from __future__ import annotations

from typing import Any, Final

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from qoldau.accounts.access import access_require_role
from qoldau.accounts.enums import Role
from qoldau.core import clock
from qoldau.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from qoldau.core.i18n import current_language
from qoldau.knowledge import selectors, services
from qoldau.knowledge.cleaning import BODY_MAX, LANGUAGES
from qoldau.knowledge.content import sanitise_html
from qoldau.knowledge.enums import ArticleKind, Language, TranslationStatus
from qoldau.knowledge.forms import (
    LANGUAGE_LABELS,
    ArticleForm,
    AttachmentForm,
    NoteForm,
    SynonymForm,
    apply_errors,
)
from qoldau.knowledge.models import Article, ArticleTranslation
from qoldau.knowledge.presentation import (
    attachment_response,
    fallback_note,
    filter_choices,
    int_param,
    search_params,
)
from qoldau.knowledge.transitions import translation_actions
from qoldau.registry import selectors as registry

SEARCH_ROLES: Final = (Role.OPERATOR, Role.SUPERVISOR, Role.KB_EDITOR, Role.UCC_ADMIN)
EDITOR_ROLES: Final = services.EDITOR_ROLES
FLAG_ROLES: Final = (Role.KB_EDITOR, Role.UCC_ADMIN, Role.SUPERVISOR)
PAGE_SIZE: Final = 50


def _require(request: HttpRequest, *roles: str) -> None:
    try:
        access_require_role(request.user, *roles)
    except PermissionDenied as exc:
        raise HttpForbidden(str(exc.message)) from exc


def _is_editor(request: HttpRequest) -> bool:
    try:
        access_require_role(request.user, *EDITOR_ROLES)
    except PermissionDenied:
        return False
    return True


def _not_found(exc: NotFound) -> Http404:
    return Http404(str(exc.message))


# --- search and reading (R6) -------------------------------------------------------------------


def _search_context(request: HttpRequest, *, public_only: bool) -> dict[str, Any]:
    params = search_params(request, public_only=public_only)
    results: list[selectors.SearchResult] = []
    if params.query:
        results = selectors.knowledge_search(
            query=params.query,
            language=params.language,
            limit=params.limit,
            filters=params.filters,
            strict_language=params.strict_language,
        )
    return {
        "params": params,
        "results": results,
        "fallback_notes": {
            result.article.pk: fallback_note(params.language, result.language)
            for result in results
            if result.fallback
        },
    }


@login_required
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """The operator's screen: the search box first and focused, results as you type."""
    _require(request, *SEARCH_ROLES)
    context = _search_context(request, public_only=False)
    if request.headers.get("HX-Request"):
        response = render(request, "knowledge/_results.html", context)
    else:
        context |= filter_choices(public_only=False)
        context["is_editor"] = _is_editor(request)
        response = render(request, "knowledge/search.html", context)
    response["Vary"] = "HX-Request"
    return response


@login_required
@require_GET
def search_results(request: HttpRequest) -> HttpResponse:
    _require(request, *SEARCH_ROLES)
    return render(request, "knowledge/_results.html", _search_context(request, public_only=False))


@login_required
@require_GET
def article_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, *SEARCH_ROLES)
    language = request.GET.get("lang") or current_language()
    language = language if language in LANGUAGES else current_language()
    try:
        view = selectors.article_get_for_reading(article_id=pk, language=language)
    except NotFound as exc:
        raise _not_found(exc) from exc
    return render(
        request,
        "knowledge/article_detail.html",
        {
            "view": view,
            "article": view.article,
            "version": view.shown,
            "body": mark_safe(view.shown.published_body),  # noqa: S308 (sanitised on save)
            "fallback_note": fallback_note(language, view.shown.language) if view.fallback else "",
            "tabs": [(code, Language(code).label, code in view.versions) for code in LANGUAGES],
            "back_query": request.GET.get("q", "")[: selectors.QUERY_MAX],
            "is_editor": _is_editor(request),
            "attachment_url": "knowledge:attachment_download",
        },
    )


@login_required
@require_GET
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    _require(request, *SEARCH_ROLES)
    try:
        attachment = selectors.attachment_get(attachment_id=pk)
    except NotFound as exc:
        raise _not_found(exc) from exc
    return attachment_response(attachment)


# --- review flags (R23) ---------------------------------------------------------------------------


@login_required
@require_GET
def flag_list(request: HttpRequest) -> HttpResponse:
    """Articles waiting for review after a by-law change, most urgent first."""
    _require(request, *FLAG_ROLES)
    flags = selectors.review_flag_list()
    page = Paginator(flags, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "knowledge/flag_list.html",
        {"page": page, "is_editor": _is_editor(request), "now": clock.now()},
    )


@login_required
@require_POST
def flag_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, *EDITOR_ROLES)
    try:
        services.review_flag_resolve(
            actor=request.user, flag_id=pk, note=request.POST.get("note", "")
        )
        messages.success(request, _("The flag is resolved."))
    except NotFound as exc:
        raise _not_found(exc) from exc
    except DomainError as exc:
        messages.error(request, str(exc.message))
    return redirect(_safe_next(request, reverse("knowledge:flag_list")))


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next", "")
    return target if target.startswith("/") and not target.startswith("//") else default


# --- editors: dashboard and list ----------------------------------------------------------------


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    _require(request, *EDITOR_ROLES)
    return render(
        request,
        "knowledge/dashboard.html",
        {"board": selectors.editor_dashboard(), "user_id": request.user.pk, "now": clock.now()},
    )


@login_required
@require_GET
def article_list(request: HttpRequest) -> HttpResponse:
    _require(request, *EDITOR_ROLES)
    query = request.GET.get("q", "").strip()[: selectors.QUERY_MAX]
    kind = request.GET.get("kind", "")
    kind = kind if kind in ArticleKind.values else ""
    status = request.GET.get("status", "")
    status = status if status in TranslationStatus.values else ""
    missing = request.GET.get("missing", "")
    missing = missing if missing in LANGUAGES else ""
    flagged = request.GET.get("flagged") == "1"
    articles = selectors.article_list(
        query=query, kind=kind, status=status, missing=missing, flagged=flagged
    )
    page = Paginator(articles, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    rows = []
    for article in page:
        versions = {row.language: row for row in article.translations.all()}
        rows.append(
            {"article": article, "versions": [(code, versions.get(code)) for code in LANGUAGES]}
        )
    return render(
        request,
        "knowledge/article_list.html",
        {
            "page": page,
            "rows": rows,
            "query": query,
            "kind": kind,
            "status": status,
            "missing": missing,
            "flagged": flagged,
            "kinds": ArticleKind.choices,
            "statuses": TranslationStatus.choices,
            "languages": [(code, LANGUAGE_LABELS[code]) for code in LANGUAGES],
            "querystring": f"{params.urlencode()}&" if params else "",
        },
    )


# --- editors: the article editor -----------------------------------------------------------------


def _form_choices() -> dict[str, Any]:
    return {
        "services": [
            (service.pk, f"{service.register_number} {service.name}")
            for service in registry.service_list()
            .only("pk", "register_number", "name_kk", "name_ru", "name_en")
            .select_related(None)
        ],
        "organisations": [
            (org.pk, str(org))
            for org in registry.organisation_list(active_only=True)
            .select_related(None)
            .only("pk", "name_kk", "name_ru", "name_en")
        ],
    }


def _initial(article: Article | None) -> dict[str, Any]:
    if article is None:
        return {"source": "contact_center", "kind": ArticleKind.HOW_TO, "is_public": True}
    initial: dict[str, Any] = {
        "kind": article.kind,
        "service": article.service_id or "",
        "owner": article.owner_id or "",
        "source": article.source,
        "source_reference": article.source_reference,
        "effective_from": article.effective_from,
        "is_public": article.is_public,
        "related": ", ".join(other.external_id for other in article.related.all()),
    }
    for row in article.translations.all():
        initial[f"title_{row.language}"] = row.title
        initial[f"keywords_{row.language}"] = ", ".join(row.keywords or [])
        initial[f"body_{row.language}"] = row.body
    return initial


def _editor_context(
    request: HttpRequest, article: Article | None, form: ArticleForm, **extra: Any
) -> dict[str, Any]:
    versions: dict[str, ArticleTranslation] = (
        {row.language: row for row in article.translations.all()} if article else {}
    )
    columns = []
    for column in form.language_fields():
        version = versions.get(column["code"])
        column["version"] = version
        column["actions"] = translation_actions(version.status) if version else []
        column["own_revision"] = bool(
            version is not None and getattr(version, "author_id", None) == request.user.pk
        )
        typed = str(column["body"].value() or "")[:BODY_MAX]
        column["preview"] = mark_safe(sanitise_html(typed))  # noqa: S308 (sanitised just now)
        columns.append(column)
    return {
        "article": article,
        "form": form,
        "columns": columns,
        "note_form": NoteForm(),
        "attachment_form": extra.pop("attachment_form", AttachmentForm()),
        "body_max": BODY_MAX,
        **extra,
    }


@login_required
@require_http_methods(["GET", "POST"])
def article_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Describe an article and write it in kk, ru and en side by side; save with a reason."""
    _require(request, *EDITOR_ROLES)
    article: Article | None = None
    if pk is not None:
        try:
            article = selectors.article_get_for_editing(article_id=pk)
        except NotFound as exc:
            raise _not_found(exc) from exc
    choices = _form_choices()
    if request.method == "POST":
        form = ArticleForm(request.POST, creating=article is None, **choices)
        if form.is_valid():
            related = form.related_ids()
            if related is not None:
                try:
                    saved = services.article_save(
                        actor=request.user,
                        article_id=article.pk if article else None,
                        external_id=form.cleaned_data.get("external_id") or "",
                        data=form.article_input(related),
                        texts=form.text_inputs(),
                        comment=form.cleaned_data.get("comment") or "",
                    )
                except DomainError as exc:
                    apply_errors(form, exc)
                else:
                    messages.success(request, _("The article is saved."))
                    return redirect("knowledge:article_edit", pk=saved.pk)
        return render(
            request,
            "knowledge/article_edit.html",
            _editor_context(request, article, form),
            status=422,
        )
    form = ArticleForm(initial=_initial(article), creating=article is None, **choices)
    return render(request, "knowledge/article_edit.html", _editor_context(request, article, form))


_ACTIONS: Final = {
    "submit": lambda actor, pk, language, note: services.translation_submit(
        actor=actor, article_id=pk, language=language
    ),
    "approve": lambda actor, pk, language, note: services.translation_approve(
        actor=actor, article_id=pk, language=language, note=note
    ),
    "return": lambda actor, pk, language, note: services.translation_return(
        actor=actor, article_id=pk, language=language, note=note
    ),
    "archive": lambda actor, pk, language, note: services.translation_archive(
        actor=actor, article_id=pk, language=language, note=note
    ),
}


def _done_message(action: str) -> str:
    messages_by_action = {
        "submit": _("The version is submitted for review."),
        "approve": _("The version is published; operators find it now."),
        "return": _("The version is returned to its author."),
        "archive": _("The version is archived."),
    }
    return messages_by_action[action]


@login_required
@require_POST
def translation_action(request: HttpRequest, pk: int, language: str, action: str) -> HttpResponse:
    """Submit, approve (publish), return or archive one language version."""
    _require(request, *EDITOR_ROLES)
    if action not in _ACTIONS or language not in LANGUAGES:
        raise Http404
    try:
        _ACTIONS[action](request.user, pk, language, request.POST.get("note", ""))
    except NotFound as exc:
        raise _not_found(exc) from exc
    except DomainError as exc:
        article = selectors.article_get_for_editing(article_id=pk)
        form = ArticleForm(initial=_initial(article), creating=False, **_form_choices())
        if isinstance(exc, ValidationFailed):
            apply_errors(form, exc)
        return render(
            request,
            "knowledge/article_edit.html",
            _editor_context(
                request, article, form, action_error=str(exc.message), action_language=language
            ),
            status=exc.status,
        )
    messages.success(request, _done_message(action))
    return redirect("knowledge:article_edit", pk=pk)


@login_required
@require_POST
def preview(request: HttpRequest) -> HttpResponse:
    """The text as operators will see it: sanitised (htmx)."""
    _require(request, *EDITOR_ROLES)
    language = request.POST.get("language", "")
    body = request.POST.get(f"body_{language}", "") if language in LANGUAGES else ""
    if len(body) > BODY_MAX:
        return HttpResponse(
            format_html('<p class="field__error">{}</p>', _("The text is too long to preview.")),
            status=422,
        )
    cleaned = sanitise_html(body)
    if not cleaned:
        return HttpResponse(format_html('<p class="note">{}</p>', _("Nothing to preview yet.")))
    return HttpResponse(cleaned)


@login_required
@require_GET
def history(request: HttpRequest, pk: int, language: str) -> HttpResponse:
    """Every revision of a language version, and the difference between two of them."""
    _require(request, *EDITOR_ROLES)
    if language not in LANGUAGES:
        raise Http404
    try:
        article = selectors.article_get_for_editing(article_id=pk)
    except NotFound as exc:
        raise _not_found(exc) from exc
    revisions = selectors.revision_list(article_id=pk, language=language)
    diff = None
    if len(revisions) >= 2 or request.GET.get("old"):
        new = int_param(request.GET.get("new")) or (revisions[0].number if revisions else 0)
        old = int_param(request.GET.get("old")) or (
            revisions[1].number if len(revisions) > 1 else 0
        )
        try:
            diff = selectors.revision_diff(revisions=revisions, old=old, new=new)
        except NotFound:
            diff = None
    version = next((row for row in article.translations.all() if row.language == language), None)
    return render(
        request,
        "knowledge/history.html",
        {
            "article": article,
            "language": language,
            "language_label": LANGUAGE_LABELS[language],
            "version": version,
            "revisions": revisions,
            "diff": diff,
        },
    )


@login_required
@require_POST
def attachment_upload(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, *EDITOR_ROLES)
    try:  # a missing article is a 404 whatever the upload (its errors are shown on its page)
        article = selectors.article_get_for_editing(article_id=pk)
    except NotFound as exc:
        raise _not_found(exc) from exc
    form = AttachmentForm(request.POST, request.FILES)
    try:
        form.is_valid()
        services.attachment_add(
            actor=request.user,
            article_id=pk,
            upload=request.FILES.get("file"),
            title=request.POST.get("title", ""),
            language=request.POST.get("language", ""),
        )
    except NotFound as exc:
        raise _not_found(exc) from exc
    except DomainError as exc:
        editor = ArticleForm(initial=_initial(article), creating=False, **_form_choices())
        form = AttachmentForm(request.POST)
        apply_errors(form, exc)
        return render(
            request,
            "knowledge/article_edit.html",
            _editor_context(request, article, editor, attachment_form=form),
            status=exc.status,
        )
    messages.success(request, _("The file is attached."))
    return redirect("knowledge:article_edit", pk=pk)


@login_required
@require_POST
def attachment_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, *EDITOR_ROLES)
    try:
        attachment = selectors.attachment_get(attachment_id=pk)
        services.attachment_remove(actor=request.user, attachment_id=pk)
    except NotFound as exc:
        raise _not_found(exc) from exc
    messages.success(request, _("The file is removed."))
    return redirect("knowledge:article_edit", pk=attachment.article_id)


# --- editors: synonyms --------------------------------------------------------------------------


@login_required
@require_GET
def synonym_list(request: HttpRequest) -> HttpResponse:
    _require(request, *EDITOR_ROLES)
    return render(
        request, "knowledge/synonym_list.html", {"groups": list(selectors.synonym_group_list())}
    )


@login_required
@require_http_methods(["GET", "POST"])
def synonym_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    _require(request, *EDITOR_ROLES)
    group = None
    if pk is not None:
        try:
            group = selectors.synonym_group_get(group_id=pk)
        except NotFound as exc:
            raise _not_found(exc) from exc
    if request.method == "POST":
        if request.POST.get("action") == "delete" and group is not None:
            services.synonym_group_delete(actor=request.user, group_id=group.pk)
            messages.success(request, _("The synonym group is deleted."))
            return redirect("knowledge:synonym_list")
        form = SynonymForm(request.POST)
        if form.is_valid():
            try:
                services.synonym_group_save(
                    actor=request.user,
                    group_id=group.pk if group else None,
                    terms=form.term_list(),
                    note=form.cleaned_data.get("note") or "",
                    is_active=bool(form.cleaned_data.get("is_active")),
                )
            except DomainError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("The synonyms are saved; the search uses them now."))
                return redirect("knowledge:synonym_list")
        return render(
            request, "knowledge/synonym_edit.html", {"form": form, "group": group}, status=422
        )
    initial = (
        {"terms": "\n".join(group.terms), "note": group.note, "is_active": group.is_active}
        if group
        else {"is_active": True}
    )
    return render(
        request,
        "knowledge/synonym_edit.html",
        {"form": SynonymForm(initial=initial), "group": group},
    )
