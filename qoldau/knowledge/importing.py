"""``knowledge_import``: articles from JSON Lines, one language version per line (R5).

Line format (docs/knowledge.md)::

    {"external_id": str, "kind": "service_card"|"procedure"|"how_to"|"ict_service"|
     "competent_body", "language": "kk"|"ru"|"en", "title": str, "body": str,
     "keywords": [str], "service_code": str|null, "published": bool}

The whole file or nothing: every line is checked first and each error names its line and field;
only a clean file is written, in one transaction, with bulk inserts (100,000 lines in well under
a minute). Idempotent by (external_id, language): a line whose text is already the working copy
adds no revision; ``published: true`` publishes it at once (the system's own path, see
transitions.py), ``false`` saves a draft and never withdraws a published version.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Final

from django.db import connection, transaction
from django.utils.translation import gettext_lazy as _

from qoldau.audit.services import audit_record
from qoldau.core import clock
from qoldau.knowledge.bulk import bulk_insert
from qoldau.knowledge.cleaning import CleanText
from qoldau.knowledge.content import generated_section, with_generated_section
from qoldau.knowledge.enums import (
    PUBLIC_BY_DEFAULT,
    ArticleSource,
    IndexAction,
    TranslationStatus,
)
from qoldau.knowledge.import_format import ImportFailed as ImportFailed
from qoldau.knowledge.import_format import LineError as LineError
from qoldau.knowledge.import_format import ParsedFile, ParsedLine, parse_lines
from qoldau.knowledge.indexing import REBUILD_AFTER_CHANGES, index_change_record
from qoldau.knowledge.models import Article, ArticleRevision, ArticleTranslation, ReviewFlag
from qoldau.knowledge.services import (
    TRANSLATION_FIELDS,
    new_revision,
    publish_working_copy,
    require_editor,
    resolve_flags_after_publication,
    user_id_of,
)
from qoldau.knowledge.transitions import NEW, translation_can
from qoldau.registry import selectors as registry

_BATCH: Final = 2000
ANALYZE_AFTER: Final = 5000


@dataclass
class ImportReport:
    lines: int = 0
    articles_created: int = 0
    articles_changed: int = 0
    versions_created: int = 0
    revisions_created: int = 0
    published: int = 0
    unchanged: int = 0
    seconds: float = 0.0


def _chunks(items: list[Any], size: int = _BATCH) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _services(parsed: ParsedFile) -> dict[str, tuple[int, int]]:
    """register number → (service id, owner id); unknown numbers are errors."""
    codes = sorted({line.service_code for line in parsed.lines if line.service_code})
    found: dict[str, tuple[int, int]] = {}
    for chunk in _chunks(codes):
        for code, pk, owner in (
            registry.service_list()
            .filter(register_number__in=chunk)
            .values_list("register_number", "pk", "owner_id")
        ):
            found[code] = (pk, owner)
    for line in parsed.lines:
        if line.service_code and line.service_code not in found:
            parsed.error(
                line.number, "service_code", _("No public service has this register number.")
            )
    return found


def knowledge_import(
    *, actor: Any, stream: Iterable[bytes | str], source: str = ""
) -> ImportReport:
    """Import a JSON Lines file: all of it, or nothing with every error named."""
    require_editor(actor)
    started = time.perf_counter()
    parsed = parse_lines(stream)
    services = _services(parsed)
    if parsed.total_errors:
        raise ImportFailed(parsed.errors, parsed.total_errors)
    report = ImportReport(lines=len(parsed.lines))
    with transaction.atomic():
        _write(parsed.lines, services, report, actor=actor, source=source[:200])
    report.seconds = time.perf_counter() - started
    return report


def _write(
    lines: list[ParsedLine],
    services: dict[str, tuple[int, int]],
    report: ImportReport,
    *,
    actor: Any,
    source: str,
) -> None:
    now = clock.now()
    articles, created = _write_articles(lines, services, report, now)
    existing: dict[tuple[int, str], ArticleTranslation] = {}
    for chunk in _chunks(sorted(set(articles.values()) - created)):
        for found in ArticleTranslation.objects.select_for_update().filter(article_id__in=chunk):
            existing[(found.article_id, found.language)] = found
    fresh: list[ParsedLine] = []  # versions that do not exist yet: inserted in bulk
    changed_rows: list[ArticleTranslation] = []
    revisions: list[ArticleRevision] = []
    republished: list[tuple[ArticleTranslation, int | None]] = []  # row, number replaced
    touched_live: set[int] = set()
    for line in lines:
        article_id = articles[line.external_id]
        row: ArticleTranslation | None = existing.get((article_id, line.language))
        if row is None:
            fresh.append(line)
            report.versions_created += 1
            report.revisions_created += 1
            if line.published:
                report.published += 1
                touched_live.add(article_id)
            continue
        text = line.text
        if generated_section(text.body) is None:
            # The registry's generated section belongs to the service-card sync: keep it.
            body = with_generated_section(text.body, generated_section(row.body))
            text = CleanText(title=text.title, keywords=text.keywords, body=body)
        same = (row.title, tuple(row.keywords or ()), row.body) == (
            text.title,
            text.keywords,
            text.body,
        )
        if same and (not line.published or row.status == TranslationStatus.PUBLISHED):
            report.unchanged += 1
            continue
        action = "import_publish" if line.published else "save"
        assert translation_can(action, row.status)
        previous = row.published_revision_number
        changed_rows.append(row)
        if not same:
            revision = new_revision(
                row,
                text,
                actor=actor,
                comment=_comment(source, line),
                status=TranslationStatus.PUBLISHED if line.published else TranslationStatus.DRAFT,
                now=now,
            )
            if line.published:
                revision.published_at = now
            revisions.append(revision)
            report.revisions_created += 1
        if line.published:
            publish_working_copy(row, now)
            republished.append((row, previous))
            report.published += 1
            touched_live.add(article_id)
    _insert_fresh(fresh, articles, actor=actor, source=source, now=now)
    if len(fresh) >= ANALYZE_AFTER and connection.vendor == "postgresql":
        # Fresh statistics, or the planner keeps choosing plans made for the empty tables.
        with connection.cursor() as cursor:
            for model in (Article, ArticleTranslation, ArticleRevision):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    for chunk in _chunks(changed_rows, 500):
        ArticleTranslation.objects.bulk_update(chunk, TRANSLATION_FIELDS)
    for chunk in _chunks(revisions):
        ArticleRevision.objects.bulk_create(chunk)
    _settle_revision_statuses(republished, now)
    _resolve_flags(touched_live, actor=actor, now=now)
    if len(touched_live) > REBUILD_AFTER_CHANGES:
        index_change_record(action=IndexAction.REBUILD)
    elif touched_live:
        index_change_record(action=IndexAction.ARTICLE, article_ids=touched_live)
    audit_record(
        actor=actor,
        action="knowledge.imported",
        target=None,
        changes={
            "source": source,
            "lines": report.lines,
            "articles_created": report.articles_created,
            "articles_changed": report.articles_changed,
            "versions_created": report.versions_created,
            "revisions_created": report.revisions_created,
            "published": report.published,
            "unchanged": report.unchanged,
        },
    )


def _comment(source: str, line: ParsedLine) -> str:
    return f"import {source}:{line.number}".strip()


def _insert_fresh(
    fresh: list[ParsedLine], articles: dict[str, int], *, actor: Any, source: str, now: dt.datetime
) -> None:
    """Language versions that do not exist yet, and their first revisions, in bulk."""
    if not fresh:
        return
    assert translation_can("import_publish", NEW)
    assert translation_can("save", NEW)
    at = connection.ops.adapt_datetimefield_value(now)
    as_json = ArticleTranslation._meta.get_field("keywords").get_db_prep_save
    author = user_id_of(actor)
    published, draft = TranslationStatus.PUBLISHED.value, TranslationStatus.DRAFT.value
    rows = []
    for line in fresh:
        text = line.text
        keywords = as_json(list(text.keywords), connection)
        live: tuple[Any, ...] = (
            (1, text.title, as_json(list(text.keywords), connection), text.body, at)
            if line.published
            else (None, "", as_json([], connection), "", None)
        )
        rows.append(
            (
                articles[line.external_id],
                line.language,
                published if line.published else draft,
                text.title,
                keywords,
                text.body,
                1,
                *live,
                at,
            )
        )
    bulk_insert(
        ArticleTranslation,
        [
            "article",
            "language",
            "status",
            "title",
            "keywords",
            "body",
            "revision_number",
            "published_revision_number",
            "published_title",
            "published_keywords",
            "published_body",
            "published_at",
            "updated_at",
        ],
        rows,
    )
    ids: dict[tuple[int, str], int] = {}
    for chunk in _chunks(sorted({articles[line.external_id] for line in fresh})):
        for pk, article_id, language in ArticleTranslation.objects.filter(
            article_id__in=chunk
        ).values_list("pk", "article_id", "language"):
            ids[(article_id, language)] = pk
    revision_rows = [
        (
            ids[(articles[line.external_id], line.language)],
            1,
            line.text.title,
            as_json(list(line.text.keywords), connection),
            line.text.body,
            published if line.published else draft,
            _comment(source, line),
            author,
            at,
            at if line.published else None,
            "",
        )
        for line in fresh
    ]
    bulk_insert(
        ArticleRevision,
        [
            "translation",
            "number",
            "title",
            "keywords",
            "body",
            "status",
            "comment",
            "created_by",
            "created_at",
            "published_at",
            "review_note",
        ],
        revision_rows,
    )


def _write_articles(
    lines: list[ParsedLine],
    services: dict[str, tuple[int, int]],
    report: ImportReport,
    now: dt.datetime,
) -> tuple[dict[str, int], set[int]]:
    """Create or update the articles of the file: (external id → article id, ids created)."""
    wanted: dict[str, ParsedLine] = {}
    for line in lines:
        wanted.setdefault(line.external_id, line)
    ids: dict[str, int] = {}
    to_update: list[Article] = []
    for chunk in _chunks(sorted(wanted)):
        for article in (
            Article.objects.select_for_update()
            .filter(external_id__in=chunk)
            .only("pk", "external_id", "kind", "service_id")
        ):
            ids[article.external_id] = article.pk
            line = wanted[article.external_id]
            service_id = services[line.service_code][0] if line.service_code else None
            if article.kind != line.kind or article.service_id != service_id:
                article.kind, article.service_id = line.kind, service_id
                article.updated_at = now
                to_update.append(article)
    for chunk in _chunks(to_update, 500):
        Article.objects.bulk_update(chunk, ["kind", "service_id", "updated_at"])
    report.articles_changed = len(to_update)
    at = connection.ops.adapt_datetimefield_value(now)
    new = [
        (
            external_id,
            line.kind,
            services[line.service_code][0] if line.service_code else None,
            ArticleSource.CONTACT_CENTER.value,
            "",
            line.kind in PUBLIC_BY_DEFAULT,
            at,
            at,
        )
        for external_id, line in wanted.items()
        if external_id not in ids
    ]
    bulk_insert(
        Article,
        [
            "external_id",
            "kind",
            "service",
            "source",
            "source_reference",
            "is_public",
            "created_at",
            "updated_at",
        ],
        new,
    )
    report.articles_created = len(new)
    created: set[int] = set()
    for chunk in _chunks([row[0] for row in new]):
        for external_id, pk in Article.objects.filter(external_id__in=chunk).values_list(
            "external_id", "pk"
        ):
            ids[external_id] = pk
            created.add(pk)
    # A changed kind or service changes the search filters of the live versions.
    if to_update:
        live = ArticleTranslation.objects.filter(
            article_id__in=[article.pk for article in to_update],
            published_revision_number__isnull=False,
        ).values_list("article_id", flat=True)
        index_change_record(action=IndexAction.ARTICLE, article_ids=set(live))
    return ids, created


def _settle_revision_statuses(
    republished: list[tuple[ArticleTranslation, int | None]], now: dt.datetime
) -> None:
    """The revision now published says so; the one it replaced is archived."""
    archived: list[tuple[int, int]] = []
    published: list[tuple[int, int]] = []
    for row, previous in republished:
        if previous is not None and previous != row.published_revision_number:
            archived.append((row.pk, previous))
        assert row.published_revision_number is not None
        published.append((row.pk, row.published_revision_number))
    for pairs, status in (
        (archived, TranslationStatus.ARCHIVED),
        (published, TranslationStatus.PUBLISHED),
    ):
        for chunk in _chunks(pairs, 500):
            by_translation = dict(chunk)
            rows = (
                ArticleRevision.objects.filter(
                    translation_id__in=list(by_translation), number__in=set(by_translation.values())
                )
                .exclude(status=status)
                .only("pk", "translation_id", "number")
            )
            pks = [rev.pk for rev in rows if by_translation.get(rev.translation_id) == rev.number]
            if pks:
                fields: dict[str, Any] = {"status": status}
                if status == TranslationStatus.PUBLISHED:
                    fields["published_at"] = now
                ArticleRevision.objects.filter(pk__in=pks).update(**fields)


def _resolve_flags(article_ids: set[int], *, actor: Any, now: dt.datetime) -> None:
    if not article_ids:
        return
    flagged: set[int] = set()
    for chunk in _chunks(sorted(article_ids)):
        flagged.update(
            ReviewFlag.objects.filter(article_id__in=chunk, resolved_at__isnull=True).values_list(
                "article_id", flat=True
            )
        )
    for article_id in sorted(flagged):
        resolve_flags_after_publication(article_id=article_id, actor=actor, now=now)
