"""Helpers the staff pages and the public FAQ share: reading the search form, the filter
choices, the "no Kazakh version" notes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from django.db.models import Q
from django.http import FileResponse, HttpRequest
from django.utils.translation import gettext as _

from qoldau.core.i18n import current_language
from qoldau.knowledge.cleaning import LANGUAGES
from qoldau.knowledge.enums import ArticleKind
from qoldau.knowledge.selectors import QUERY_MAX, SearchFilters
from qoldau.registry import selectors as registry

RESULTS: Final = 20


def int_param(value: str | None) -> int | None:
    if value and value.isdigit() and len(value) < 12:
        number = int(value)
        return number if number > 0 else None
    return None


@dataclass(frozen=True)
class SearchParams:
    query: str
    language: str
    kind: str
    service_id: int | None
    organisation_id: int | None
    limit: int = RESULTS
    strict_language: bool = False
    public_only: bool = False

    @property
    def filters(self) -> SearchFilters:
        return SearchFilters(
            kinds=(self.kind,) if self.kind else (),
            service_ids=(self.service_id,) if self.service_id else (),
            organisation_ids=(self.organisation_id,) if self.organisation_id else (),
            public_only=self.public_only,
        )

    @property
    def has_filters(self) -> bool:
        return bool(self.kind or self.service_id or self.organisation_id)


def search_params(request: HttpRequest, *, public_only: bool) -> SearchParams:
    """The search form as typed; anything unknown is ignored rather than refused."""
    query = request.GET.get("q", "")[:QUERY_MAX].strip()
    language = request.GET.get("lang", "")
    kind = request.GET.get("kind", "")
    return SearchParams(
        query=query,
        language=language if language in LANGUAGES else current_language(),
        kind=kind if kind in ArticleKind.values else "",
        service_id=None if public_only else int_param(request.GET.get("service")),
        organisation_id=None if public_only else int_param(request.GET.get("organisation")),
        public_only=public_only,
    )


def filter_choices(*, public_only: bool) -> dict[str, Any]:
    """Choices of the search filters: only services and organisations that have articles."""
    choices: dict[str, Any] = {
        "kinds": ArticleKind.choices,
        "search_languages": [("kk", "Қазақша"), ("ru", "Русский"), ("en", "English")],
    }
    if public_only:
        return choices
    choices["services"] = list(
        registry.service_list()
        .select_related(None)
        .filter(articles__isnull=False)
        .distinct()
        .only("pk", "register_number", "name_kk", "name_ru", "name_en")
    )
    choices["organisations"] = list(
        registry.organisation_list()
        .select_related(None)
        .filter(Q(knowledge_articles__isnull=False) | Q(owned_services__articles__isnull=False))
        .distinct()
        .only("pk", "name_kk", "name_ru", "name_en")
    )
    return choices


def fallback_note(asked: str, shown: str) -> str:
    """Says that the asked language has no version and which language is shown instead."""
    notes = {
        ("kk", "ru"): _("There is no Kazakh version — the Russian text is shown."),
        ("kk", "en"): _("There is no Kazakh version — the English text is shown."),
        ("ru", "kk"): _("There is no Russian version — the Kazakh text is shown."),
        ("ru", "en"): _("There is no Russian version — the English text is shown."),
        ("en", "ru"): _("There is no English version — the Russian text is shown."),
        ("en", "kk"): _("There is no English version — the Kazakh text is shown."),
    }
    return notes.get((asked, shown), "")


def attachment_response(attachment: Any) -> FileResponse:
    """An attachment as a download, named by its title (never by the stored file name)."""
    extension = str(attachment.file.name).rsplit(".", 1)[-1]
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=f"{attachment.title[:80]}.{extension}",
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
