"""Search speed: ours and the peers on the same synthetic corpus and queries, in one run (R6).

    .venv/bin/python -m bench.search.speed [--sizes 10000 100000] [--queries 1000] [--no-postgres]

For each size: the time to index the corpus, then the latency of single searches (one language,
top 10) in-process, p50/p95/p99 in milliseconds. PostgreSQL is a server on 127.0.0.1 (its
figures include the local round trip, as in production). Prints ours beside every peer.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections.abc import Sequence

from bench.search import data, engines
from qoldau.knowledge.search import Document

WARM_UP = 20


def percentile(sorted_values: list[float], share: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(share * (len(sorted_values) - 1))))
    return sorted_values[index]


def measure(
    engine: engines.Engine, documents: list[Document], queries: list[data.Query]
) -> tuple[float, float, float, float, float]:
    """(build seconds, p50, p95, p99, mean) — latencies in milliseconds."""
    gc.collect()
    started = time.perf_counter()
    engine.build(documents)
    built = time.perf_counter() - started
    for query in queries[:WARM_UP]:
        engine.search(query.text, query.language, 10)
    latencies = []
    for query in queries:
        started = time.perf_counter_ns()
        engine.search(query.text, query.language, 10)
        latencies.append((time.perf_counter_ns() - started) / 1e6)
    latencies.sort()
    return (
        built,
        percentile(latencies, 0.50),
        percentile(latencies, 0.95),
        percentile(latencies, 0.99),
        statistics.fmean(latencies),
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args(argv)
    queries = data.speed_queries(args.queries)
    for size in args.sizes:
        documents = data.synthetic(size)
        chosen = engines.all_engines(data.SYNONYMS)
        if args.no_postgres:
            chosen = [engine for engine in chosen if not engine.name.startswith("postgres")]
        rows = []
        for engine in chosen:
            try:
                figures = measure(engine, documents, queries)
            finally:
                engine.close()
            rows.append((engine.name, *figures))
            print(f"  {size:>7} {engine.name:<20} done", file=sys.stderr)
        ours = rows[0]
        header = ["engine", "build s", "p50 ms", "p95 ms", "p99 ms", "mean ms", "p99 vs ours"]
        lines = [
            [
                name,
                f"{b:.1f}",
                f"{p50:.2f}",
                f"{p95:.2f}",
                f"{p99:.2f}",
                f"{mean:.2f}",
                f"{p99 / ours[4]:.1f}x",
            ]
            for name, b, p50, p95, p99, mean in rows
        ]
        title = f"{size:,} documents (half kk, half ru), {len(queries)} queries, top 10"
        if args.markdown:
            print(f"### {title}\n")
            print("| " + " | ".join(header) + " |")
            print("|" + "---|" * len(header))
            for line in lines:
                print("| " + " | ".join(line) + " |")
        else:
            print(f"== {title} ==")
            widths = [max(len(r[i]) for r in [header, *lines]) for i in range(len(header))]
            for line in [header, *lines]:
                print("  ".join(c.rjust(w) for c, w in zip(line, widths, strict=True)))
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
