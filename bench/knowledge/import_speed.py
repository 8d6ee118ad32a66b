"""Import speed of the knowledge base (R6): ``qoldau kb import`` of a synthetic file of
50,000 articles × kk/ru (100,000 language versions, ~1.5 KB of HTML each), first import and a
re-import of the same file, on SQLite and PostgreSQL — beside the database's own bulk path on
the same rows (PostgreSQL ``COPY`` into equivalent tables via psycopg; SQLite ``executemany`` in
one transaction), the ceiling of any importer.

    .venv/bin/python -m bench.knowledge.import_speed [--articles 50000] [--quick] [--no-postgres]

``qoldau migrate`` runs first on a fresh database (SQLite in a temp ``QOLDAU_VAR_DIR``, or a
throw-away PostgreSQL database on 127.0.0.1:5432, dropped afterwards); each import is timed as a
whole subprocess (Python and Django start-up included, ~1 s).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sqlite3
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import psycopg

from bench.knowledge import common

# Equivalent tables: what one imported, published version writes (article, translation with
# working and published copies, a revision, an index-change row), with the same unique keys.
DDL = [
    "CREATE TABLE article (id bigint PRIMARY KEY, external_id varchar(100) UNIQUE NOT NULL, "
    "kind varchar(20) NOT NULL, service_id bigint, source varchar(20) NOT NULL, "
    "is_public boolean NOT NULL, created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL)",
    "CREATE TABLE translation (id bigint PRIMARY KEY, article_id bigint NOT NULL REFERENCES "
    "article(id), language varchar(2) NOT NULL, status varchar(12) NOT NULL, title varchar(300), "
    "keywords jsonb, body text, revision_number int, published_revision_number int, "
    "published_title varchar(300), published_keywords jsonb, published_body text, "
    "published_at timestamptz, updated_at timestamptz, UNIQUE (article_id, language))",
    "CREATE TABLE revision (id bigint PRIMARY KEY, translation_id bigint NOT NULL REFERENCES "
    "translation(id), number int NOT NULL, title varchar(300), keywords jsonb, body text, "
    "status varchar(12), comment varchar(1000), created_at timestamptz, published_at "
    "timestamptz, UNIQUE (translation_id, number))",
    "CREATE TABLE indexchange (id bigserial PRIMARY KEY, action varchar(10), article_id bigint, "
    "created_at timestamptz)",
]

# Rows of those tables, column by column.
ArticleTuple = tuple[int, str, str, None, str, bool, dt.datetime, dt.datetime]
TranslationTuple = tuple[
    int, int, str, str, str, str, str, int, int, str, str, str, dt.datetime, dt.datetime
]
RevisionTuple = tuple[int, int, int, str, str, str, str, str, dt.datetime, dt.datetime]
ChangeTuple = tuple[str, int, dt.datetime]


class ImportResult(NamedTuple):
    """Seconds for one database: ``qoldau kb import`` twice, then the peer's bulk load."""

    kind: str
    first: float  # whole subprocess
    first_own: float  # as the command reports it
    again: float
    again_own: float
    peer: float


def _tuples(
    rows: Sequence[common.ImportRow],
) -> tuple[list[ArticleTuple], list[TranslationTuple], list[RevisionTuple], list[ChangeTuple]]:
    now = dt.datetime.now(dt.UTC)
    articles: dict[str, ArticleTuple] = {}
    translations: list[TranslationTuple] = []
    revisions: list[RevisionTuple] = []
    for row in rows:
        article = articles.get(row["external_id"])
        if article is None:
            article = (
                len(articles) + 1,
                row["external_id"],
                row["kind"],
                None,
                "contact_center",
                False,
                now,
                now,
            )
            articles[row["external_id"]] = article
        keywords = json.dumps(row["keywords"], ensure_ascii=False)
        tid = len(translations) + 1
        translations.append(
            (
                tid,
                article[0],
                row["language"],
                "published",
                row["title"],
                keywords,
                row["body"],
                1,
                1,
                row["title"],
                keywords,
                row["body"],
                now,
                now,
            )
        )
        revisions.append(
            (tid, tid, 1, row["title"], keywords, row["body"], "published", "Import", now, now)
        )
    changes: list[ChangeTuple] = [("upsert", a[0], now) for a in articles.values()]
    return list(articles.values()), translations, revisions, changes


def peer_postgres(rows: Sequence[common.ImportRow]) -> float:
    database = f"qoldau_kb_bench_copy_{int(time.time())}"
    with psycopg.connect(common.POSTGRES_DSN, dbname="postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{database}"')
    try:
        with psycopg.connect(common.POSTGRES_DSN, dbname=database) as db:
            for ddl in DDL:
                db.execute(ddl)
            db.commit()
            started = time.perf_counter()
            articles, translations, revisions, changes = _tuples(rows)
            with db.cursor() as cur:
                for table, tuples in (
                    ("article", articles),
                    ("translation", translations),
                    ("revision", revisions),
                ):
                    with cur.copy(f"COPY {table} FROM STDIN") as copy:
                        for t in tuples:
                            copy.write_row(t)
                with cur.copy(
                    "COPY indexchange (action, article_id, created_at) FROM STDIN"
                ) as copy:
                    for change in changes:
                        copy.write_row(change)
            db.commit()
            db.execute("ANALYZE")
            db.commit()
            return time.perf_counter() - started
    finally:
        with psycopg.connect(common.POSTGRES_DSN, dbname="postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def peer_sqlite(rows: Sequence[common.ImportRow]) -> float:
    with tempfile.TemporaryDirectory(prefix="qoldau-kb-bench-") as tmp:
        db = sqlite3.connect(Path(tmp) / "peer.sqlite3", isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA foreign_keys=ON")
        for ddl in DDL:
            db.execute(
                ddl.replace("bigserial", "integer")
                .replace("bigint PRIMARY", "integer PRIMARY")
                .replace("jsonb", "text")
                .replace("timestamptz", "text")
            )
        started = time.perf_counter()
        articles, translations, revisions, changes = _tuples(rows)
        db.execute("BEGIN IMMEDIATE")
        for table, tuples in (
            ("article", articles),
            ("translation", translations),
            ("revision", revisions),
        ):
            marks = ", ".join("?" * len(tuples[0]))
            db.executemany(
                f"INSERT INTO {table} VALUES ({marks})",
                ([str(v) if isinstance(v, dt.datetime) else v for v in t] for t in tuples),
            )
        db.executemany(
            "INSERT INTO indexchange (action, article_id, created_at) VALUES (?, ?, ?)",
            ((a, b, str(c)) for a, b, c in changes),
        )
        db.execute("COMMIT")
        elapsed = time.perf_counter() - started
        db.close()
        return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=50_000)
    parser.add_argument("--quick", action="store_true", help="2,000 articles (4,000 versions)")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    articles = 2_000 if args.quick else args.articles
    rows = common.synthetic_rows(articles)
    size_kb = sum(len(r["body"].encode()) for r in rows) / len(rows) / 1024
    backends = ["sqlite"] if args.no_postgres else ["sqlite", "postgres"]
    results: list[ImportResult] = []
    with tempfile.TemporaryDirectory(prefix="qoldau-kb-bench-") as tmp:
        path = common.write_jsonl(rows, Path(tmp) / "kb.jsonl")
        for kind in backends:
            with common.backend(kind) as env:
                timings: list[float] = []
                for label in ("first import", "re-import"):
                    common.log(f"{kind}: {label} of {len(rows)} versions")
                    started = time.perf_counter()
                    done = common.run([common.QOLDAU, "kb", "import", str(path)], env, timeout=900)
                    timings.append(time.perf_counter() - started)
                    own = re.search(r"in ([0-9.]+) s", done.stdout)
                    timings.append(float(own.group(1)) if own else float("nan"))
                    common.log(f"{kind}: {label} {timings[-1]:.1f} s: {done.stdout.strip()[-200:]}")
            common.log(f"{kind}: peer bulk load")
            peer = peer_postgres(rows) if kind == "postgres" else peer_sqlite(rows)
            first, first_own, again, again_own = timings
            results.append(ImportResult(kind, first, first_own, again, again_own, peer))
    print(
        f"\n#### Import of {len(rows):,} versions ({articles:,} articles × kk/ru, "
        f"{size_kb:.2f} KB body each on average)\n"
    )
    table: list[list[str]] = []
    for kind, first, first_own, again, again_own, peer in results:
        peer_name = "COPY (psycopg)" if kind == "postgres" else "executemany, one transaction"
        table.append(
            [
                kind,
                f"{first:.1f} ({first_own:.1f})",
                f"{again:.1f} ({again_own:.1f})",
                f"{len(rows) / first:,.0f}",
                f"{peer:.1f} ({peer_name})",
                f"{first / peer:.1f}x",
                "yes" if first < 60 else "NO",
            ]
        )
    print(
        "Whole subprocess wall time; in brackets the time the command itself reports "
        "(reading, checking and writing the file, without Python/Django start-up).\n"
    )
    print(
        common.markdown(
            [
                "database",
                "first import s (command's own)",
                "re-import s (command's own)",
                "versions/s (first)",
                "peer: bulk load s",
                "first vs peer",
                "< 60 s",
            ],
            table,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
