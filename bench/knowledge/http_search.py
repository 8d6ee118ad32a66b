"""Search latency over HTTP (R6): the real app (``qoldau runserver --noreload``, Django's
multi-threaded development server — no other WSGI server is installed) answering
``GET /api/v1/kb/search?q=&lang=&limit=10`` with an API key, at 10,000 and 100,000 article
versions — beside the same HTTP path to a tiny stdlib ``ThreadingHTTPServer`` that answers the
same queries from (a) our engine in-process (``selectors.knowledge_search_list`` on the same
database: the product's search without Django's request handling), (b) SQLite FTS5 and
(c) PostgreSQL full-text search (``simple`` and ``russian``), built with
``bench.search.engines`` on the same documents.

    .venv/bin/python -m bench.knowledge.http_search [--sizes 10000 100000] [--queries 1000]
        [--app-dbs sqlite postgres] [--quick] [--no-postgres]

Every server is a subprocess on a free 127.0.0.1 port; one runs at a time. The client sends the
queries (KazQAD questions and the labelled operator queries, each in its own language)
sequentially over one keep-alive ``http.client`` connection (it reconnects if the server closes;
the table counts connections). The first request (which builds the app's index) is timed
separately, then 20 warm-up requests, then the measured ones.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

from bench.knowledge import common

if TYPE_CHECKING:
    from bench.search.data import Query

WARM_UP = 20


class Measurement(TypedDict):
    """One server's figures: latencies in ms (``first`` in s), share of queries with hits."""

    first: float
    p50: float
    p95: float
    p99: float
    mean: float
    connections: int
    found: float


# --- server side (runs in a subprocess: ``--serve KIND PORT [CORPUS]``) ---------------------


def _serve(kind: str, port: int, corpus: str | None) -> None:
    # The bench stops servers with SIGTERM: exit through ``finally`` so that the PostgreSQL
    # peers drop their throw-away databases.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    lock = threading.Lock()
    if kind == "ours":
        import django

        django.setup()
        from qoldau.knowledge import selectors

        def search(q: str, lang: str, limit: int) -> list[dict[str, Any]]:
            return selectors.knowledge_search_list(query=q, language=lang, limit=limit)

    else:
        from bench.search import engines

        if corpus is None:
            raise TypeError(f"--serve {kind} PORT CORPUS: the corpus file is missing")
        with open(corpus, encoding="utf-8") as lines:
            rows: list[common.ImportRow] = [json.loads(line) for line in lines]
        documents = common.documents_from_rows(rows)
        engine: engines.Fts5 | engines.Postgres
        if kind == "sqlite-fts5":
            engine = engines.Fts5()
            engine._db.close()
            engine._db = sqlite3.connect(":memory:", check_same_thread=False)
        else:
            engine = engines.Postgres(kind.removeprefix("postgres-"))
        engine.build(documents)
        del rows, documents

        def search(q: str, lang: str, limit: int) -> list[dict[str, Any]]:
            with lock:
                keys = engine.search(q, lang, limit)
            return [
                {"external_id": k.rsplit(":", 1)[0], "language": k.rsplit(":", 1)[1]} for k in keys
            ]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            params = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
            hits = search(
                params.get("q", [""])[0],
                params.get("lang", ["kk"])[0],
                int(params.get("limit", ["10"])[0]),
            )
            body = json.dumps(hits, ensure_ascii=False, default=str).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    try:
        httpd.serve_forever()
    finally:
        if kind.startswith("postgres"):
            engine.close()


# --- client side ------------------------------------------------------------------------------


def measure(port: int, queries: Sequence[Query], key: str | None, path: str) -> Measurement:
    client = common.Client(port, path=path, key=key)
    try:
        started = time.perf_counter()
        client.search(queries[0].text, queries[0].language)
        first = time.perf_counter() - started
        for query in queries[:WARM_UP]:
            client.search(query.text, query.language)
        latencies: list[float] = []
        found = 0
        for query in queries:
            started = time.perf_counter_ns()
            hits = client.search(query.text, query.language)
            latencies.append((time.perf_counter_ns() - started) / 1e6)
            found += bool(hits)
        latencies.sort()
        return {
            "first": first,
            "p50": common.percentile(latencies, 0.5),
            "p95": common.percentile(latencies, 0.95),
            "p99": common.percentile(latencies, 0.99),
            "mean": statistics.fmean(latencies),
            "connections": client.connects,
            "found": found / len(queries),
        }
    finally:
        client.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--serve", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--app-dbs", nargs="+", default=["sqlite", "postgres"])
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--quick", action="store_true", help="2,000 versions, 200 queries")
    args = parser.parse_args()
    if args.serve:
        _serve(args.serve[0], int(args.serve[1]), args.serve[2] if len(args.serve) > 2 else None)
        return 0
    from bench.search import data

    sizes, count = ([2_000], 200) if args.quick else (args.sizes, args.queries)
    app_dbs = [d for d in args.app_dbs if not (args.no_postgres and d == "postgres")]
    peers = ["sqlite-fts5"] + ([] if args.no_postgres else ["postgres-simple", "postgres-russian"])
    queries = data.speed_queries(count)
    output = []
    for size in sizes:
        rows = common.synthetic_rows(size // 2)
        results: list[tuple[str, Measurement]] = []
        with tempfile.TemporaryDirectory(prefix="qoldau-kb-bench-") as tmp:
            corpus = common.write_jsonl(rows, Path(tmp) / "kb.jsonl")
            del rows
            for db in app_dbs:
                with common.backend(db) as env:
                    common.log(f"{size}: import into {db}")
                    common.run([common.QOLDAU, "kb", "import", str(corpus)], env, timeout=900)
                    key = common.api_key(env)
                    port = common.free_port()
                    common.log(f"{size}: app (runserver) on {db}")
                    with common.runserver(env, port):
                        results.append(
                            (
                                f"app: Django runserver + API key, {db}",
                                measure(port, queries, key, "/api/v1/kb/search"),
                            )
                        )
                    port = common.free_port()
                    common.log(f"{size}: ours in stdlib server on {db}")
                    with common.server(
                        [
                            common.PYTHON,
                            "-m",
                            "bench.knowledge.http_search",
                            "--serve",
                            "ours",
                            str(port),
                        ],
                        env,
                        port,
                    ):
                        results.append(
                            (
                                f"ours in stdlib http.server, {db}",
                                measure(port, queries, None, "/search"),
                            )
                        )
            env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
            env["BENCH_TMP"] = tmp
            for peer in peers:
                port = common.free_port()
                common.log(f"{size}: {peer} in stdlib server")
                with common.server(
                    [
                        common.PYTHON,
                        "-m",
                        "bench.knowledge.http_search",
                        "--serve",
                        peer,
                        str(port),
                        str(corpus),
                    ],
                    env,
                    port,
                    timeout=900,
                ):
                    results.append(
                        (f"{peer} in stdlib http.server", measure(port, queries, None, "/search"))
                    )
        base = results[0][1]["p99"] if results else 1.0
        table = [
            [
                name,
                f"{r['first'] * 1000:.0f}",
                f"{r['p50']:.2f}",
                f"{r['p95']:.2f}",
                f"{r['p99']:.2f}",
                f"{r['mean']:.2f}",
                f"{r['p99'] / base:.2f}x",
                r["connections"],
                f"{r['found']:.2f}",
            ]
            for name, r in results
        ]
        output.append(
            f"\n#### {size:,} versions (half kk, half ru), {count} sequential queries over "
            f"HTTP, top 10\n\n"
            + common.markdown(
                [
                    "server",
                    "first request ms",
                    "p50 ms",
                    "p95 ms",
                    "p99 ms",
                    "mean ms",
                    "p99 vs app",
                    "connections",
                    "share with hits",
                ],
                table,
            )
        )
        print(output[-1], flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
