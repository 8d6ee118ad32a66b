"""The process-wide search index and how it stays fresh across processes (R6).

Every process (each web worker, the worker, a command) keeps its own in-memory ``SearchIndex``,
built lazily from the published language versions. Each write that changes what is searchable
(a publication, an archive, an article's filters, the synonyms) adds an ``IndexChange`` row in
the same transaction. Before each search a process reads the log's highest id (one indexed
query) and, when it has moved, re-reads only the articles named since, so a published change is
searchable on the next search in every process, on SQLite and PostgreSQL alike.

Ordering: writers take a transaction-scoped lock before adding rows (PostgreSQL: an advisory
lock; SQLite writes are serialised anyway), so ids are handed out in commit order and "I have
seen id N" means "I have seen every change committed up to N".
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Final

from django.db import connection
from django.db.models import Max

from qoldau.core import clock
from qoldau.knowledge.content import html_to_text
from qoldau.knowledge.enums import IndexAction
from qoldau.knowledge.models import ArticleTranslation, IndexChange, SynonymGroup
from qoldau.knowledge.search import Document, SearchIndex

# Rows of the log older than this may be pruned (knowledge_prune_index_changes); a process
# that has not looked for half of it rebuilds instead of trusting the log.
LOG_KEEP: Final = dt.timedelta(days=7)
REBUILD_AFTER_CHANGES: Final = 5000
_LOCK_KEY: Final = 0x51_4B_42_49  # "QKBI": the advisory lock of the index log
_ARTICLE_FIELDS: Final = (
    "article_id",
    "language",
    "published_title",
    "published_keywords",
    "published_body",
    "article__kind",
    "article__service_id",
    "article__owner_id",
    "article__service__owner_id",
    "article__is_public",
)


def document_key(article_id: int, language: str) -> str:
    return f"{article_id}:{language}"


def parse_key(key: str) -> tuple[int, str]:
    article, _sep, language = key.partition(":")
    return int(article), language


# --- writes (inside the caller's transaction) ---------------------------------------------


def _lock_log() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])


def index_change_record(*, action: str, article_ids: Iterable[int] = ()) -> None:
    """Announce to every process that these articles (or the synonyms) changed. Call it inside
    the use case's transaction, after the change itself."""
    _lock_log()
    now = clock.now()
    if action == IndexAction.ARTICLE:
        rows = [
            IndexChange(action=action, article_id=pk, created_at=now)
            for pk in sorted(set(article_ids))
        ]
    else:
        rows = [IndexChange(action=action, article_id=None, created_at=now)]
    if rows:
        IndexChange.objects.bulk_create(rows, batch_size=2000)


# --- reads --------------------------------------------------------------------------------


def _document(row: dict[str, Any]) -> Document:
    organisation = row["article__owner_id"] or row["article__service__owner_id"]
    filters = {"kind": row["article__kind"], "public": "1" if row["article__is_public"] else "0"}
    if row["article__service_id"]:
        filters["service"] = str(row["article__service_id"])
    if organisation:
        filters["organisation"] = str(organisation)
    return Document(
        key=document_key(row["article_id"], row["language"]),
        language=row["language"],
        title=row["published_title"],
        keywords=tuple(str(word) for word in row["published_keywords"] or ()),
        body=html_to_text(row["published_body"]),
        filters=filters,
    )


def live_documents(article_ids: Iterable[int] | None = None) -> Iterator[Document]:
    """The published language versions as the search sees them."""
    rows = ArticleTranslation.objects.filter(published_revision_number__isnull=False)
    if article_ids is not None:
        rows = rows.filter(article_id__in=list(article_ids))
    for row in rows.values(*_ARTICLE_FIELDS).order_by().iterator(chunk_size=2000):
        yield _document(row)


def synonym_groups() -> list[tuple[str, ...]]:
    return [
        tuple(str(term) for term in terms)
        for terms in SynonymGroup.objects.filter(is_active=True)
        .order_by("pk")
        .values_list("terms", flat=True)
        if terms
    ]


def latest_change_id() -> int:
    return int(IndexChange.objects.aggregate(latest=Max("pk"))["latest"] or 0)


@dataclass
class IndexStats:
    builds: int = 0
    applied: int = 0


class IndexManager:
    """One process's index and the id of the last log row it has applied."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._index: SearchIndex | None = None
        self._seen = 0
        self._checked_at: dt.datetime | None = None
        self.stats = IndexStats()

    def fresh(self) -> SearchIndex:
        """The index with every committed change applied."""
        with self._lock:
            now = clock.now()
            if (
                self._index is None
                or self._checked_at is None
                or now - self._checked_at > LOG_KEEP / 2
            ):
                self._build()
            else:
                self._catch_up()
            self._checked_at = now
            assert self._index is not None
            return self._index

    def reset(self) -> None:
        """Forget the index; the next search builds it again."""
        with self._lock:
            self._index = None
            self._seen = 0
            self._checked_at = None

    def _build(self) -> None:
        seen = latest_change_id()  # before reading: a change after this is applied next time
        index = SearchIndex(synonyms=synonym_groups())
        for document in live_documents():
            index.upsert(document)
        self._index, self._seen = index, seen
        self.stats.builds += 1

    def _catch_up(self) -> None:
        assert self._index is not None
        latest = latest_change_id()
        if latest == self._seen:
            return
        if latest < self._seen:  # the log was emptied (a restored database): start again
            self._build()
            return
        changes = list(
            IndexChange.objects.filter(pk__gt=self._seen, pk__lte=latest)
            .order_by("pk")
            .values_list("action", "article_id")[: REBUILD_AFTER_CHANGES + 1]
        )
        actions = {action for action, _article in changes}
        if len(changes) > REBUILD_AFTER_CHANGES or IndexAction.REBUILD in actions:
            self._build()
            return
        if IndexAction.SYNONYMS in actions:
            self._index.set_synonyms(synonym_groups())
        article_ids = {article for action, article in changes if article is not None}
        if article_ids:
            found = {document.key: document for document in live_documents(article_ids)}
            for article_id in article_ids:
                for language in ("kk", "ru", "en"):
                    key = document_key(article_id, language)
                    document = found.get(key)
                    if document is None:
                        self._index.remove(key)
                    else:
                        self._index.upsert(document)
        self._seen = latest
        self.stats.applied += len(changes)


_manager = IndexManager()


def search_index() -> SearchIndex:
    """This process's search index, fresh."""
    return _manager.fresh()


def search_index_manager() -> IndexManager:
    return _manager
