"""Search quality: ours and the peers on the same documents and queries, in one run (R6).

    .venv/bin/python -m bench.search.quality [--no-postgres] [--markdown]

MRR@10, Recall@10 and nDCG@10 on KazQAD (kk) and on the operator-style set, overall, per
language and per query style. Prints ours beside every peer; ``--markdown`` prints the tables
for docs/performance.md.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections import defaultdict
from collections.abc import Sequence

from bench.search import data, engines

K = 10


def metrics(results: Sequence[str], relevant: frozenset[str]) -> tuple[float, float, float]:
    """(reciprocal rank, recall, nDCG) of one result list at K."""
    top = list(results[:K])
    rank = next((i for i, key in enumerate(top) if key in relevant), None)
    reciprocal = 0.0 if rank is None else 1.0 / (rank + 1)
    recall = len(relevant & set(top)) / len(relevant)
    dcg = sum(1.0 / math.log2(i + 2) for i, key in enumerate(top) if key in relevant)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(relevant), K)))
    return reciprocal, recall, dcg / ideal


Table = dict[str, dict[str, tuple[float, float, float, int]]]  # group → engine → figures


def evaluate(dataset: data.Dataset, chosen: list[engines.Engine]) -> Table:
    table: Table = defaultdict(dict)
    for engine in chosen:
        started = time.perf_counter()
        engine.build(dataset.documents)
        sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0, 0.0])
        for query in dataset.queries:
            figures = metrics(engine.search(query.text, query.language, K), query.relevant)
            for group in ("all", f"lang={query.language}", f"{query.language}/{query.style}"):
                row = sums[group]
                for i, value in enumerate(figures):
                    row[i] += value
                row[3] += 1
        for group, (mrr, recall, ndcg, count) in sums.items():
            table[group][engine.name] = (mrr / count, recall / count, ndcg / count, int(count))
        print(
            f"  {engine.name:<20} built and queried in {time.perf_counter() - started:6.1f} s",
            file=sys.stderr,
        )
    return table


def _groups(table: Table) -> list[str]:
    rest = sorted(group for group in table if group not in ("all", "lang=kk", "lang=ru"))
    return [group for group in ("all", "lang=kk", "lang=ru") if group in table] + rest


def render(title: str, table: Table, names: list[str], peers: set[str], markdown: bool) -> str:
    """One table per measure; the last columns compare ours with the best independent peer
    and with the best engine fed with our analysed terms."""
    lines = [f"### {title}" if markdown else f"== {title} =="]
    for measure, column in (("MRR@10", 0), ("Recall@10", 1), ("nDCG@10", 2)):
        header = ["group", "n", *names, "ours - best peer", "ours - best our-terms"]
        rows = []
        for group in _groups(table):
            cells = table[group]
            count = next(iter(cells.values()))[3]
            values = [cells[name][column] if name in cells else float("nan") for name in names]
            best_peer = max(v for v, name in zip(values, names, strict=True) if name in peers)
            best_ours = max(
                v for v, name in zip(values, names, strict=True) if name.endswith("our-terms")
            )
            rows.append(
                [
                    group,
                    str(count),
                    *(f"{v:.3f}" for v in values),
                    f"{values[0] - best_peer:+.3f}",
                    f"{values[0] - best_ours:+.3f}",
                ]
            )
        if markdown:
            lines.append(f"\n{measure}\n")
            lines.append("| " + " | ".join(header) + " |")
            lines.append("|" + "---|" * len(header))
            lines.extend("| " + " | ".join(row) + " |" for row in rows)
        else:
            widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
            lines.append(f"-- {measure}")
            for row in [header, *rows]:
                lines.append(
                    "  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True))
                )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL peers")
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables")
    args = parser.parse_args(argv)
    for dataset in (data.kazqad(), data.operator()):
        chosen: list[engines.Engine] = [
            *engines.all_engines(data.SYNONYMS),
            engines.Qoldau((), name="qoldau-no-synonyms"),
        ]
        if args.no_postgres:
            chosen = [e for e in chosen if not e.name.startswith("postgres")]
        print(
            f"{dataset.name}: {len(dataset.documents)} documents, {len(dataset.queries)} queries",
            file=sys.stderr,
        )
        for note in dataset.notes:
            print(f"  note: {note}", file=sys.stderr)
        try:
            table = evaluate(dataset, chosen)
        finally:
            for engine in chosen:
                engine.close()
        title = (
            f"{dataset.name} — {len(dataset.documents)} documents, {len(dataset.queries)} queries"
        )
        names = [engine.name for engine in chosen]
        peers = {engine.name for engine in chosen if engine.peer}
        print(render(title, table, names, peers, args.markdown))
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
