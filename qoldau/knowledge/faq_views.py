"""The public FAQ (no sign-in): published articles marked public, with the operators' search."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from qoldau.core.errors import NotFound
from qoldau.core.i18n import current_language
from qoldau.knowledge import selectors
from qoldau.knowledge.cleaning import LANGUAGES
from qoldau.knowledge.enums import Language
from qoldau.knowledge.presentation import (
    attachment_response,
    fallback_note,
    filter_choices,
    search_params,
)


def _context(request: HttpRequest) -> dict[str, object]:
    params = search_params(request, public_only=True)
    results: list[selectors.SearchResult] = []
    if params.query:
        results = selectors.knowledge_search(
            query=params.query, language=params.language, limit=params.limit, filters=params.filters
        )
    return {
        "params": params,
        "results": results,
        "fallback_notes": {
            result.article.pk: fallback_note(params.language, result.language)
            for result in results
            if result.fallback
        },
        "public": True,
    }


@require_GET
def faq_index(request: HttpRequest) -> HttpResponse:
    context = _context(request)
    if request.headers.get("HX-Request"):
        response = render(request, "knowledge/_results.html", context)
    else:
        context |= filter_choices(public_only=True)
        context["recent"] = (
            [] if context["results"] else selectors.faq_recent(language=current_language())
        )
        response = render(request, "knowledge/faq_index.html", context)
    response["Vary"] = "HX-Request"
    return response


@require_GET
def faq_results(request: HttpRequest) -> HttpResponse:
    return render(request, "knowledge/_results.html", _context(request))


@require_GET
def faq_article(request: HttpRequest, pk: int) -> HttpResponse:
    language = request.GET.get("lang") or current_language()
    language = language if language in LANGUAGES else current_language()
    try:
        view = selectors.article_get_for_reading(article_id=pk, language=language, public_only=True)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
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
            "public": True,
            "attachment_url": "faq:attachment",
        },
    )


@require_GET
def faq_attachment(request: HttpRequest, pk: int) -> FileResponse:
    try:
        attachment = selectors.attachment_get(attachment_id=pk, public_only=True)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    return attachment_response(attachment)
