"""The engines the benchmarks compare, behind one small interface (R6, ADR 0004).

Ours (``qoldau``) and its peers: SQLite FTS5 (unicode61, remove_diacritics 2), PostgreSQL
full-text search (``simple`` and ``russian``), tantivy (its default tokenizer, and fed with our
analysed terms) and bm25s (our analysed terms, and plain lower-case whitespace tokens). Each peer
gets the query's words OR-ed together (an AND of every word finds almost nothing for questions),
and the same field weights as ours where it has fields (FTS5 and PostgreSQL).
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import tempfile
from collections.abc import Sequence
from typing import Protocol

import bm25s  # type: ignore[import-untyped]
import numpy as np
import psycopg
import tantivy

from qoldau.knowledge.search import Document, SearchIndex, analyze

WORD = re.compile(r"\w+")
POSTGRES_DSN = os.environ.get("BENCH_POSTGRES_DSN", "host=127.0.0.1 port=5432 user=postgres")


class Engine(Protocol):
    name: str
    peer: bool  # an independent peer (not ours, and not fed with our analysed terms)

    def build(self, documents: Sequence[Document]) -> None: ...

    def search(self, query: str, language: str, k: int) -> list[str]: ...

    def close(self) -> None: ...


def _text(doc: Document) -> str:
    return "\n".join((doc.title, *doc.keywords, doc.body))


def _words(query: str) -> list[str]:
    return WORD.findall(query.lower())[:32]


class Qoldau:
    peer = False

    def __init__(
        self, synonyms: Sequence[Sequence[str]] = (), *, prefix: bool = True, name: str = "qoldau"
    ) -> None:
        self.name = name
        self._synonyms = synonyms
        self._prefix = prefix
        self.index = SearchIndex()

    def build(self, documents: Sequence[Document]) -> None:
        self.index = SearchIndex(self._synonyms)
        for doc in documents:
            self.index.upsert(doc)

    def search(self, query: str, language: str, k: int) -> list[str]:
        hits = self.index.search(query, languages=[language], limit=k, prefix=self._prefix)
        return [hit.key for hit in hits]

    def close(self) -> None:
        self.index = SearchIndex()


class Fts5:
    name = "sqlite-fts5"
    peer = True

    def __init__(self) -> None:
        self._db = sqlite3.connect(":memory:")

    def build(self, documents: Sequence[Document]) -> None:
        self._db.execute(
            "CREATE VIRTUAL TABLE docs USING fts5(key UNINDEXED, language UNINDEXED, title, "
            "keywords, body, tokenize = 'unicode61 remove_diacritics 2')"
        )
        self._db.executemany(
            "INSERT INTO docs VALUES (?, ?, ?, ?, ?)",
            ((d.key, d.language, d.title, " ".join(d.keywords), d.body) for d in documents),
        )
        self._db.commit()

    def search(self, query: str, language: str, k: int) -> list[str]:
        words = _words(query)
        if not words:
            return []
        match = " OR ".join(f'"{word}"' for word in words)
        rows = self._db.execute(
            "SELECT key FROM docs WHERE docs MATCH ? AND language = ? "
            "ORDER BY bm25(docs, 0, 0, 3.0, 2.0, 1.0) LIMIT ?",
            (match, language, k),
        )
        return [row[0] for row in rows]

    def close(self) -> None:
        self._db.close()


class Postgres:
    """PostgreSQL full-text search in a throw-away database (created here, dropped on close)."""

    def __init__(self, config: str) -> None:
        self.name = f"postgres-{config}"
        self.peer = True
        self._config = config
        self._database = f"qoldau_bench_{os.getpid()}_{config}"
        with psycopg.connect(POSTGRES_DSN, dbname="postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{self._database}"')
            admin.execute(f'CREATE DATABASE "{self._database}"')
        self._db = psycopg.connect(POSTGRES_DSN, dbname=self._database, autocommit=True)

    def build(self, documents: Sequence[Document]) -> None:
        db = self._db
        db.execute(
            "CREATE TABLE docs (key text PRIMARY KEY, language text, title text, "
            "keywords text, body text, tsv tsvector)"
        )
        with (
            db.cursor() as cursor,
            cursor.copy("COPY docs (key, language, title, keywords, body) FROM STDIN") as copy,
        ):
            for d in documents:
                copy.write_row((d.key, d.language, d.title, " ".join(d.keywords), d.body))
        db.execute(
            "UPDATE docs SET tsv = setweight(to_tsvector(%(c)s::regconfig, title), 'A') "
            "|| setweight(to_tsvector(%(c)s::regconfig, keywords), 'B') "
            "|| setweight(to_tsvector(%(c)s::regconfig, body), 'C')",
            {"c": self._config},
        )
        db.execute("CREATE INDEX docs_tsv ON docs USING gin (tsv)")
        db.execute("ANALYZE docs")

    def search(self, query: str, language: str, k: int) -> list[str]:
        words = _words(query)
        if not words:
            return []
        rows = self._db.execute(
            "SELECT key FROM docs, websearch_to_tsquery(%s::regconfig, %s) AS q "
            "WHERE language = %s AND tsv @@ q ORDER BY ts_rank(tsv, q) DESC, key LIMIT %s",
            (self._config, " or ".join(words), language, k),
        ).fetchall()
        return [row[0] for row in rows]

    def close(self) -> None:
        self._db.close()
        with psycopg.connect(POSTGRES_DSN, dbname="postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{self._database}"')


class Tantivy:
    """One in-memory tantivy index per language; ``ours`` feeds it our analysed terms."""

    def __init__(self, *, ours: bool) -> None:
        self.name = "tantivy+our-terms" if ours else "tantivy-default"
        self.peer = not ours
        self._ours = ours
        self._indexes: dict[str, tantivy.Index] = {}
        self._tmp = tempfile.TemporaryDirectory(prefix="qoldau-tantivy-")

    def _prepare(self, text: str, language: str) -> str:
        return " ".join(analyze(text, language)) if self._ours else text

    def build(self, documents: Sequence[Document]) -> None:
        by_language: dict[str, list[Document]] = {}
        for doc in documents:
            by_language.setdefault(doc.language, []).append(doc)
        for language, docs in by_language.items():
            builder = tantivy.SchemaBuilder()
            builder.add_text_field("key", stored=True, tokenizer_name="raw")
            builder.add_text_field("text", stored=False)
            index = tantivy.Index(builder.build())
            writer = index.writer(heap_size=200_000_000, num_threads=1)
            for doc in docs:
                writer.add_document(
                    tantivy.Document(key=doc.key, text=self._prepare(_text(doc), language))
                )
            writer.commit()
            writer.wait_merging_threads()
            index.reload()
            self._indexes[language] = index

    def search(self, query: str, language: str, k: int) -> list[str]:
        index = self._indexes.get(language)
        terms = analyze(query, language) if self._ours else _words(query)
        if index is None or not terms:
            return []
        parsed = index.parse_query(" ".join(terms), ["text"])
        searcher = index.searcher()
        return [searcher.doc(address)["key"][0] for _, address in searcher.search(parsed, k).hits]

    def close(self) -> None:
        self._indexes = {}
        self._tmp.cleanup()


class Bm25s:
    """bm25s per language; ``ours``: our analysed terms, else lower-case whitespace tokens."""

    def __init__(self, *, ours: bool) -> None:
        self.name = "bm25s+our-terms" if ours else "bm25s-whitespace"
        self.peer = not ours
        self._ours = ours
        self._models: dict[str, tuple[bm25s.BM25, list[str], set[str]]] = {}

    def _tokens(self, text: str, language: str) -> list[str]:
        return analyze(text, language) if self._ours else text.lower().split()

    def build(self, documents: Sequence[Document]) -> None:
        by_language: dict[str, list[Document]] = {}
        for doc in documents:
            by_language.setdefault(doc.language, []).append(doc)
        for language, docs in by_language.items():
            corpus = [self._tokens(_text(doc), language) for doc in docs]
            model = bm25s.BM25()
            with contextlib.redirect_stderr(None):
                model.index(corpus, show_progress=False)
            vocabulary = {token for tokens in corpus for token in tokens}
            self._models[language] = (model, [doc.key for doc in docs], vocabulary)

    def search(self, query: str, language: str, k: int) -> list[str]:
        found = self._models.get(language)
        if found is None:
            return []
        model, keys, vocabulary = found
        tokens = [token for token in self._tokens(query, language) if token in vocabulary]
        if not tokens:
            return []
        results, scores = model.retrieve(
            [tokens], k=min(k, len(keys)), show_progress=False, n_threads=1
        )
        return [
            keys[int(i)]
            for i, score in zip(np.asarray(results)[0], np.asarray(scores)[0], strict=True)
            if score > 0
        ]

    def close(self) -> None:
        self._models = {}


def all_engines(synonyms: Sequence[Sequence[str]]) -> list[Engine]:
    """Ours first, then the peers, in the order the tables show them."""
    return [
        Qoldau(synonyms),
        Fts5(),
        Postgres("simple"),
        Postgres("russian"),
        Tantivy(ours=False),
        Tantivy(ours=True),
        Bm25s(ours=True),
        Bm25s(ours=False),
    ]
