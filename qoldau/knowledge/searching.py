"""The search as operators, the public FAQ, the API and ``qoldau kb search`` see it (R6).

Reads only: the process's index (indexing.py) ranks, the database supplies the published text.
A query in one language finds versions in that language first; an article without one is found
in its fallback language (kk → ru) and marked so. Highlighted titles and snippets are segments
(text, marked) that templates escape and wrap in <mark>.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, Final

from django.utils.translation import gettext_lazy as _

from qoldau.core import clock
from qoldau.core.errors import FieldError
from qoldau.knowledge.cleaning import LANGUAGES
from qoldau.knowledge.content import html_to_text
from qoldau.knowledge.indexing import document_key, parse_key, search_index
from qoldau.knowledge.models import Article, ArticleTranslation, ReviewFlag
from qoldau.knowledge.search import Hit, SearchIndex, highlight
from qoldau.registry import selectors as registry

QUERY_MAX: Final = 500
LIMIT_MAX: Final = 50
# Where a language version is missing, the search and the reader fall back to these, in order.
FALLBACKS: Final[dict[str, tuple[str, ...]]] = {
    "kk": ("ru", "en"),
    "ru": ("kk", "en"),
    "en": ("ru", "kk"),
}
FALLBACK_WEIGHT: Final = 0.9  # a version in the asked language wins a tie
SNIPPET_CHARS: Final = 240
SNIPPET_SCAN: Final = 20_000

Segments = list[tuple[str, bool]]


@dataclass(frozen=True)
class SearchFilters:
    kinds: tuple[str, ...] = ()
    service_ids: tuple[int, ...] = ()
    organisation_ids: tuple[int, ...] = ()
    public_only: bool = False

    def as_index_filters(self) -> dict[str, Collection[str]]:
        filters: dict[str, Collection[str]] = {}
        if self.kinds:
            filters["kind"] = set(self.kinds)
        if self.service_ids:
            filters["service"] = {str(pk) for pk in self.service_ids}
        if self.organisation_ids:
            filters["organisation"] = {str(pk) for pk in self.organisation_ids}
        if self.public_only:
            filters["public"] = {"1"}
        return filters


@dataclass(frozen=True)
class RankedHit:
    article_id: int
    language: str
    score: float
    matched_terms: frozenset[str]
    fallback: bool  # not in the language asked for


def check_query(query: Any) -> str:
    if not isinstance(query, str) or not query.strip():
        raise FieldError("q", "required", _("Type what to search for."))
    if len(query) > QUERY_MAX:
        raise FieldError("q", "too_long", _("The query is too long: use at most 500 characters."))
    return query


def check_language(language: Any) -> str:
    if language not in LANGUAGES:
        raise FieldError("lang", "invalid_choice", _("Choose kk, ru or en."))
    return str(language)


def check_limit(limit: Any) -> int:
    if not isinstance(limit, int) or not 1 <= limit <= LIMIT_MAX:
        raise FieldError("limit", "out_of_range", _("Ask for 1 to 50 results."))
    return limit


def _hits(
    index: SearchIndex,
    query: str,
    language: str,
    limit: int,
    filters: dict[str, Collection[str]],
    languages: Sequence[str],
) -> list[Hit]:
    return index.search(query, languages=list(languages), limit=limit, filters=filters or None)


def rank(
    index: SearchIndex,
    *,
    query: str,
    language: str,
    limit: int,
    filters: SearchFilters | None = None,
    strict_language: bool = False,
) -> list[RankedHit]:
    """The best articles for ``query``: versions in ``language`` first; an article without one
    is found in its fallback language (kk → ru) and marked so. One hit per article. When
    nothing is found at all (a Russian query with Kazakh asked for), the other languages are
    searched too, unless ``strict_language``."""
    index_filters = (filters or SearchFilters()).as_index_filters()
    ranked: dict[int, RankedHit] = {}
    for hit in _hits(index, query, language, limit, index_filters, [language]):
        article_id, _language = parse_key(hit.key)
        ranked[article_id] = RankedHit(article_id, language, hit.score, hit.matched_terms, False)
    if not strict_language:
        earlier = [language]
        for other in FALLBACKS[language]:
            wider = min(limit * 3 + 10, 200)
            for hit in _hits(index, query, language, wider, index_filters, [other]):
                article_id, _language = parse_key(hit.key)
                if article_id in ranked or any(
                    document_key(article_id, code) in index for code in earlier
                ):
                    continue
                ranked[article_id] = RankedHit(
                    article_id, other, hit.score * FALLBACK_WEIGHT, hit.matched_terms, True
                )
            earlier.append(other)
        if not ranked:
            for hit in _hits(index, query, language, limit * 3, index_filters, FALLBACKS[language]):
                article_id, _language = parse_key(hit.key)
                if article_id not in ranked:
                    ranked[article_id] = RankedHit(
                        article_id,
                        hit.language,
                        hit.score * FALLBACK_WEIGHT,
                        hit.matched_terms,
                        True,
                    )
    ordered = sorted(ranked.values(), key=lambda hit: (-hit.score, hit.article_id))
    return ordered[:limit]


@dataclass(frozen=True)
class SearchResult:
    article: Article
    version: ArticleTranslation
    score: float
    fallback: bool
    asked_language: str
    title: Segments
    snippet: Segments
    snippet_cut_before: bool
    snippet_cut_after: bool
    flagged: bool
    consultable: bool

    @property
    def language(self) -> str:
        return self.version.language


def snippet(text: str, matched: Collection[str], language: str) -> tuple[Segments, bool, bool]:
    """About 240 characters of ``text`` around the first matched word, words marked."""
    scan = text[:SNIPPET_SCAN]
    start = 0
    offset = 0
    for segment, marked in highlight(scan, matched, language):
        if marked:
            start = max(0, offset - SNIPPET_CHARS // 3)
            break
        offset += len(segment)
    if start:
        space = scan.find(" ", start)
        start = space + 1 if 0 <= space < start + 30 else start
    end = min(len(text), start + SNIPPET_CHARS)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start + SNIPPET_CHARS // 2 else end
    window = text[start:end].replace("\n", " · ")
    return highlight(window, matched, language), start > 0, end < len(text)


def knowledge_search(
    *,
    query: str,
    language: str,
    limit: int = 10,
    filters: SearchFilters | None = None,
    strict_language: bool = False,
) -> list[SearchResult]:
    """Search results ready to show: the published version, its highlighted title and snippet,
    the acceptance state of its service (R7) and whether it is flagged for review (R23).
    Two queries after the index lookup, however many results."""
    hits = rank(
        search_index(),
        query=query,
        language=language,
        limit=limit,
        filters=filters,
        strict_language=strict_language,
    )
    if not hits:
        return []
    versions = {
        (row.article_id, row.language): row
        for row in ArticleTranslation.objects.filter(
            article_id__in=[hit.article_id for hit in hits],
            published_revision_number__isnull=False,
        ).select_related("article", "article__service", "article__owner", "article__service__owner")
    }
    flagged = set(
        ReviewFlag.objects.filter(
            article_id__in=[hit.article_id for hit in hits], resolved_at__isnull=True
        ).values_list("article_id", flat=True)
    )
    today = clock.today()
    results: list[SearchResult] = []
    for hit in hits:
        version = versions.get((hit.article_id, hit.language))
        if version is None:  # withdrawn since the index was read
            continue
        text = html_to_text(version.published_body)
        pieces, before, after = snippet(text, hit.matched_terms, hit.language)
        service = version.article.service
        results.append(
            SearchResult(
                article=version.article,
                version=version,
                score=hit.score,
                fallback=hit.fallback,
                asked_language=language,
                title=highlight(version.published_title, hit.matched_terms, hit.language),
                snippet=pieces,
                snippet_cut_before=before,
                snippet_cut_after=after,
                flagged=hit.article_id in flagged,
                consultable=service is None or registry.service_is_consultable(service, today),
            )
        )
    return results


def knowledge_search_list(*, query: str, language: str, limit: int = 10) -> list[dict[str, Any]]:
    """The search as the API and the ``kb search`` command return it, best first."""
    query = check_query(query)
    language = check_language(language)
    limit = check_limit(limit)
    hits = rank(search_index(), query=query, language=language, limit=limit)
    if not hits:
        return []
    rows = {
        (article_id, code): (external_id, title)
        for article_id, code, external_id, title in ArticleTranslation.objects.filter(
            article_id__in=[hit.article_id for hit in hits],
            published_revision_number__isnull=False,
        ).values_list("article_id", "language", "article__external_id", "published_title")
    }
    out: list[dict[str, Any]] = []
    for hit in hits:
        found = rows.get((hit.article_id, hit.language))
        if found is not None:
            out.append(
                {
                    "external_id": found[0],
                    "language": hit.language,
                    "title": found[1],
                    "score": round(float(hit.score), 4),
                }
            )
    return out
