"""What idleness costs an event: the router's events one after another on one thread and one
kept connection, back to back and with a pause before each (as at 50 events/s), with the
thread's CPU time; beside them the same for plain psycopg transactions of one insert, sent as
three round trips (``BEGIN``, the insert, ``COMMIT``), as one pipeline and as one autocommitted
statement. Shows whether an event's time grows with its round trips or with the pause.

    .venv/bin/python -m bench.routing.idle --markdown     # PostgreSQL, a throw-away database
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from typing import Any

from bench.knowledge.common import markdown
from bench.routing.common import calls, child, operators, percentiles
from bench.routing.latency import COMPETENCES, HANDLE_MEAN, OPERATORS

KINDS = ("arrive", "answer", "end")
PEER_KINDS = ("BEGIN, insert, COMMIT", "one pipeline", "autocommit")


def _timed(spent: dict[str, list[tuple[float, float]]], kind: str, run: Callable[[], Any]) -> Any:
    wall, cpu = time.perf_counter(), time.thread_time()
    result = run()
    spent[kind].append((time.perf_counter() - wall, time.thread_time() - cpu))
    return result


def _router(count: int, pause: float) -> dict[str, list[tuple[float, float]]]:
    from django.db import transaction

    from bench.routing import ours
    from qoldau.routing import services
    from qoldau.routing.models import Operator

    def atomic(run: Callable[[], Any]) -> Callable[[], Any]:
        def inner() -> Any:
            with transaction.atomic(durable=True):
                return run()

        return inner

    offers = ours.Offers()
    spent: dict[str, list[tuple[float, float]]] = {kind: [] for kind in KINDS}
    tag = f"idle-{pause}"
    for call in calls(50, 10 + count / 50, COMPETENCES, HANDLE_MEAN, 91)[:count]:
        ref = f"{tag}-{call.number:07d}"
        attributes = {"language": call.language, "skill": f"s{call.skill:03d}"}

        def arrive(ref: str = ref, attributes: dict[str, str] = attributes) -> Any:
            return services.task_submit(channel="voice", ref=ref, attributes=attributes)

        def end(ref: str = ref) -> Any:
            return services.task_finish(channel="voice", ref=ref)

        time.sleep(pause)
        offers.start()
        try:
            _timed(spent, "arrive", atomic(arrive))
        finally:
            made = offers.take()
        for offered_ref, operator_id in made:

            def answer(ref: str = offered_ref, operator_id: int = operator_id) -> Any:
                return services.task_assign(
                    channel="voice", ref=ref, operator=Operator(pk=operator_id)
                )

            time.sleep(pause)
            _timed(spent, "answer", atomic(answer))
        time.sleep(pause)
        offers.start()
        try:
            _timed(spent, "end", atomic(end))
        finally:
            offers.take()
    return spent


def _peer(dsn: str, count: int, pause: float) -> dict[str, list[tuple[float, float]]]:
    """One-row inserts with plain psycopg, each its own durable transaction."""
    import psycopg

    spent: dict[str, list[tuple[float, float]]] = {kind: [] for kind in PEER_KINDS}
    insert = "INSERT INTO bench_idle (v) VALUES (%s) RETURNING id"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS bench_idle (id bigserial PRIMARY KEY, v int)")

        def three() -> None:
            conn.execute("BEGIN")
            conn.execute(insert, [1]).fetchone()
            conn.execute("COMMIT")

        def pipeline() -> None:
            with conn.pipeline():
                conn.execute("BEGIN")
                cursor = conn.execute(insert, [2])
                conn.execute("COMMIT")
            cursor.fetchone()

        def single() -> None:
            conn.execute(insert, [3]).fetchone()

        for _ in range(count):
            for kind, run in zip(PEER_KINDS, (three, pipeline, single), strict=True):
                time.sleep(pause)
                _timed(spent, kind, run)
    return spent


def _summary(spent: dict[str, list[tuple[float, float]]]) -> dict[str, Any]:
    return {
        kind: {
            "wall": percentiles([w for w, _ in values]),
            "cpu": percentiles([c for _, c in values]),
        }
        for kind, values in spent.items()
    }


def _child(args: argparse.Namespace) -> dict[str, Any]:
    import django

    django.setup()
    from django.conf import settings

    from bench.routing import ours

    settings.ROUTING_WRAP_UP_SECONDS = 0
    ours.seed(operators(OPERATORS, COMPETENCES), COMPETENCES)
    result: dict[str, Any] = {}
    _router(args.warmup, 0.0)  # plans prepared, caches warm
    for pause_ms in args.pauses:
        result[f"router {pause_ms} ms"] = _summary(_router(args.events, pause_ms / 1000))
        result[f"peer {pause_ms} ms"] = _summary(
            _peer(os.environ["DATABASE_URL"], args.events, pause_ms / 1000)
        )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=300, help="calls (and inserts) per pause")
    parser.add_argument("--warmup", type=int, default=60, help="calls before measuring")
    parser.add_argument("--pauses", type=int, nargs="*", default=[0, 20], help="ms before each")
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--child", choices=["postgres"])
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(args)))
        return
    passed = [a for a in sys.argv[1:] if a != "--markdown"]
    result = child("bench.routing.idle", "postgres", passed)
    if not args.markdown:
        print(json.dumps(result, indent=1))
        return
    rows: list[list[object]] = []
    for name, kinds in result.items():
        who, pause = name.split(" ", 1)
        for kind, figures in kinds.items():
            wall, cpu = figures["wall"], figures["cpu"]
            rows.append(
                [
                    "qoldau router" if who == "router" else "psycopg, one-row insert",
                    kind,
                    pause,
                    wall["n"],
                    f"{wall['p50']:.2f}",
                    f"{wall['p99']:.2f}",
                    f"{cpu['p50']:.2f}",
                ]
            )
    headers = ["what", "event", "pause before each", "n", "p50 ms", "p99 ms", "thread CPU p50 ms"]
    print(markdown(headers, rows))


if __name__ == "__main__":
    main()
