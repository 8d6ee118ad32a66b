"""Reads of the knowledge base: an article as an operator or a citizen reads it, the editors'
lists and dashboard, revision history and diffs, review flags (R23). The search (R6) is in
searching.py; its entry points are re-exported here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils.translation import gettext_lazy as _

from qoldau.core import clock
from qoldau.core.errors import NotFound
from qoldau.knowledge.cleaning import LANGUAGES
from qoldau.knowledge.content import DiffRow, diff_is_empty, diff_lines, html_to_text
from qoldau.knowledge.enums import TranslationStatus
from qoldau.knowledge.models import (
    Article,
    ArticleAttachment,
    ArticleRevision,
    ArticleTranslation,
    ReviewFlag,
    SynonymGroup,
)
from qoldau.knowledge.searching import FALLBACKS
from qoldau.knowledge.searching import QUERY_MAX as QUERY_MAX
from qoldau.knowledge.searching import SearchFilters as SearchFilters
from qoldau.knowledge.searching import SearchResult as SearchResult
from qoldau.knowledge.searching import knowledge_search as knowledge_search
from qoldau.knowledge.searching import knowledge_search_list as knowledge_search_list
from qoldau.registry import selectors as registry
from qoldau.registry.models import PublicService

# --- reading an article ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ArticleView:
    article: Article
    versions: dict[str, ArticleTranslation]  # the published ones, by language
    shown: ArticleTranslation
    asked_language: str
    attachments: list[ArticleAttachment]
    related: list[tuple[Article, ArticleTranslation]]
    open_flags: list[ReviewFlag]
    consultable: bool
    service: PublicService | None = None

    @property
    def fallback(self) -> bool:
        return self.shown.language != self.asked_language

    @property
    def languages(self) -> list[str]:
        return [code for code in LANGUAGES if code in self.versions]


def _pick(versions: dict[str, Any], language: str) -> Any:
    for code in (language, *FALLBACKS.get(language, LANGUAGES)):
        if code in versions:
            return versions[code]
    return None


def article_get_for_reading(
    *, article_id: int, language: str, public_only: bool = False
) -> ArticleView:
    """An article's published versions; ``language`` if there is one, else its fallback."""
    article = (
        Article.objects.select_related("service", "service__owner", "service__bylaw", "owner")
        .filter(pk=article_id)
        .first()
    )
    if article is None or (public_only and not article.is_public):
        raise NotFound("not_found", _("No such article."))
    versions = {
        row.language: row
        for row in ArticleTranslation.objects.filter(
            article=article, published_revision_number__isnull=False
        )
    }
    shown = _pick(versions, language if language in LANGUAGES else "kk")
    if shown is None:
        raise NotFound("not_found", _("No such article."))
    related_articles = article.related.all()
    if public_only:
        related_articles = related_articles.filter(is_public=True)
    live_related = Prefetch(
        "translations",
        queryset=ArticleTranslation.objects.filter(published_revision_number__isnull=False),
        to_attr="live_versions",
    )
    related: list[tuple[Article, ArticleTranslation]] = []
    for other in related_articles.prefetch_related(live_related).order_by("external_id"):
        version = _pick({row.language: row for row in other.live_versions}, shown.language)
        if version is not None:
            related.append((other, version))
    attachments = [
        item
        for item in article.attachments.order_by("title")
        if not item.language or item.language == shown.language
    ]
    service = article.service
    return ArticleView(
        article=article,
        versions=versions,
        shown=shown,
        asked_language=language,
        attachments=attachments,
        related=related,
        open_flags=[]
        if public_only
        else list(
            article.review_flags.filter(resolved_at__isnull=True)
            .select_related("amendment")
            .order_by("due_at")
        ),
        consultable=service is None or registry.service_is_consultable(service, clock.today()),
        service=service,
    )


def attachment_get(*, attachment_id: int, public_only: bool = False) -> ArticleAttachment:
    attachment = (
        ArticleAttachment.objects.select_related("article").filter(pk=attachment_id).first()
    )
    if attachment is None or (public_only and not attachment.article.is_public):
        raise NotFound("not_found", _("No such attachment."))
    return attachment


# --- editors --------------------------------------------------------------------------------------


def _open_flags() -> Exists:
    return Exists(ReviewFlag.objects.filter(article=OuterRef("pk"), resolved_at__isnull=True))


def _has_version(language: str) -> Exists:
    return Exists(
        ArticleTranslation.objects.filter(article=OuterRef("pk"), language=language).exclude(
            status=TranslationStatus.ARCHIVED
        )
    )


def article_list(
    *,
    query: str = "",
    kind: str = "",
    status: str = "",
    missing: str = "",
    flagged: bool = False,
) -> QuerySet[Article]:
    """Articles for editors (every state), with their language versions prefetched."""
    articles = Article.objects.select_related("service", "owner").annotate(is_flagged=_open_flags())
    if query.strip():
        words = query.strip()[:QUERY_MAX]
        matching = ArticleTranslation.objects.filter(
            Q(title__icontains=words) | Q(published_title__icontains=words)
        ).values("article_id")
        articles = articles.filter(
            Q(external_id__icontains=words) | Q(pk__in=matching) | Q(service__register_number=words)
        )
    if kind:
        articles = articles.filter(kind=kind)
    if status:
        articles = articles.filter(
            pk__in=ArticleTranslation.objects.filter(status=status).values("article_id")
        )
    if missing in LANGUAGES:
        articles = articles.exclude(_has_version(missing))
    if flagged:
        articles = articles.filter(is_flagged=True)
    return articles.prefetch_related(
        Prefetch("translations", queryset=ArticleTranslation.objects.order_by("language"))
    ).order_by("external_id")


@dataclass
class Dashboard:
    flags: list[ReviewFlag] = field(default_factory=list)
    flags_count: int = 0
    untranslated: list[Article] = field(default_factory=list)
    untranslated_count: int = 0
    drafts: list[ArticleTranslation] = field(default_factory=list)
    drafts_count: int = 0
    in_review: list[ArticleTranslation] = field(default_factory=list)
    in_review_count: int = 0


DASHBOARD_ROWS: Final = 15


def _with_author(rows: QuerySet[ArticleTranslation]) -> QuerySet[ArticleTranslation]:
    current = ArticleRevision.objects.filter(
        translation=OuterRef("pk"), number=OuterRef("revision_number")
    )
    return rows.annotate(
        author_id=Subquery(current.values("created_by_id")[:1]),
        author_name=Subquery(current.values("created_by__username")[:1]),
        revision_comment=Subquery(current.values("comment")[:1]),
    )


def review_flag_list(*, open_only: bool = True) -> QuerySet[ReviewFlag]:
    flags = ReviewFlag.objects.select_related(
        "article", "article__service", "amendment", "amendment__bylaw", "resolved_by"
    )
    if open_only:
        flags = flags.filter(resolved_at__isnull=True)
    return flags.order_by("due_at", "pk")


def editor_dashboard() -> Dashboard:
    """What needs an editor: flagged (stale) articles, missing kk or ru, drafts, reviews."""
    board = Dashboard()
    flags = review_flag_list()
    board.flags = list(flags[:DASHBOARD_ROWS])
    board.flags_count = flags.count() if len(board.flags) == DASHBOARD_ROWS else len(board.flags)
    untranslated = (
        Article.objects.select_related("service")
        .annotate(has_kk=_has_version("kk"), has_ru=_has_version("ru"))
        .filter(Q(has_kk=False) | Q(has_ru=False))
        .order_by("external_id")
    )
    board.untranslated = list(untranslated[:DASHBOARD_ROWS])
    board.untranslated_count = (
        untranslated.count()
        if len(board.untranslated) == DASHBOARD_ROWS
        else len(board.untranslated)
    )
    for status, target, counter in (
        (TranslationStatus.DRAFT, "drafts", "drafts_count"),
        (TranslationStatus.IN_REVIEW, "in_review", "in_review_count"),
    ):
        rows = _with_author(
            ArticleTranslation.objects.filter(status=status)
            .select_related("article")
            .order_by("-updated_at", "pk")
        )
        listed = list(rows[:DASHBOARD_ROWS])
        setattr(board, target, listed)
        setattr(
            board,
            counter,
            ArticleTranslation.objects.filter(status=status).count()
            if len(listed) == DASHBOARD_ROWS
            else len(listed),
        )
    return board


def article_get_for_editing(*, article_id: int) -> Article:
    article = (
        Article.objects.select_related("service", "owner")
        .prefetch_related(
            Prefetch("translations", queryset=_with_author(ArticleTranslation.objects.all())),
            "related",
            "attachments",
            Prefetch(
                "review_flags",
                queryset=ReviewFlag.objects.filter(resolved_at__isnull=True)
                .select_related("amendment")
                .order_by("due_at"),
                to_attr="open_flags",
            ),
        )
        .filter(pk=article_id)
        .first()
    )
    if article is None:
        raise NotFound("not_found", _("No such article."))
    return article


def revision_list(*, article_id: int, language: str) -> list[ArticleRevision]:
    return list(
        ArticleRevision.objects.filter(
            translation__article_id=article_id, translation__language=language
        )
        .select_related("created_by", "reviewed_by")
        .order_by("-number")
    )


@dataclass(frozen=True)
class RevisionDiff:
    old: ArticleRevision
    new: ArticleRevision
    title: list[DiffRow]
    keywords: list[DiffRow]
    body: list[DiffRow]

    @property
    def unchanged(self) -> bool:
        return all(diff_is_empty(rows) for rows in (self.title, self.keywords, self.body))


def revision_diff(*, revisions: list[ArticleRevision], old: int, new: int) -> RevisionDiff:
    """A readable diff between two revisions of the list (plain text, HTML stripped)."""
    by_number = {revision.number: revision for revision in revisions}
    if old not in by_number or new not in by_number:
        raise NotFound("not_found", _("No such revision."))
    first, second = by_number[old], by_number[new]
    return RevisionDiff(
        old=first,
        new=second,
        title=diff_lines(first.title, second.title),
        keywords=diff_lines("\n".join(first.keywords or []), "\n".join(second.keywords or [])),
        body=diff_lines(html_to_text(first.body), html_to_text(second.body)),
    )


def synonym_group_list() -> QuerySet[SynonymGroup]:
    return SynonymGroup.objects.order_by("-is_active", "pk")


def synonym_group_get(*, group_id: int) -> SynonymGroup:
    group = SynonymGroup.objects.filter(pk=group_id).first()
    if group is None:
        raise NotFound("not_found", _("No such synonym group."))
    return group


def faq_recent(*, language: str, limit: int = 12) -> list[tuple[Article, ArticleTranslation]]:
    """Public articles for the FAQ's first page, in ``language`` where possible."""
    rows = (
        ArticleTranslation.objects.filter(
            article__is_public=True, published_revision_number__isnull=False
        )
        .select_related("article")
        .order_by("-published_at", "pk")
    )
    seen: dict[int, dict[str, ArticleTranslation]] = {}
    for row in rows[: limit * 4]:
        seen.setdefault(row.article_id, {})[row.language] = row
    picked: list[tuple[Article, ArticleTranslation]] = []
    for versions in seen.values():
        version = _pick(versions, language)
        picked.append((version.article, version))
    return picked[:limit]
