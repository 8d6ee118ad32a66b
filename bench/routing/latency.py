"""Routing latency (issue 5): from an event — a call arrives (``task_submit``) or an operator
frees up (the call ends, ``task_finish``, and the operator takes the oldest call they may) — to
the committed reservation, at a steady open-loop rate of events with 2,000 operators and 100
competences; p50/p99/p99.9 measured from each event's scheduled time, so queueing in the
benchmark's workers counts. Beside it, in the same run on the same data, a reference dispatcher
polling the database with ``SELECT … FOR UPDATE SKIP LOCKED`` as FreeSWITCH's mod_callcenter
does (``bench/routing/peer.py``). PostgreSQL with ``synchronous_commit=on``, then SQLite.
Afterwards the reservation history is checked for double assignments.

    .venv/bin/python -m bench.routing.latency [--seconds 60] [--rate 200] [--markdown]

Calls arrive at half the event rate (each call later ends: one more event); the operator answers
0.5-2 s after the offer (``task_assign``, not a measured event) and talks for a log-normal
handle time (mean 12 s, so that 2,000 operators cycle several times within a minute at
100 calls/s: ~60% occupancy); no wrap-up (``ROUTING_WRAP_UP_SECONDS=0``), so the end of a call
is the moment the operator is free. ``routing_tick`` runs every second as ``qoldau router``
does (its offers — step timeouts — are not events and are not measured).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import multiprocessing.queues
import os
import sys
import threading
import time
from collections import Counter
from typing import Any

from bench.knowledge.common import log, markdown
from bench.routing import cold
from bench.routing.common import Call, Driver, calls, child, operators, percentiles

COMPETENCES = 100
OPERATORS = 2000
HANDLE_MEAN = 12.0


def _child(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection, connections

    from bench.routing import ours

    settings.ROUTING_WRAP_UP_SECONDS = 0
    specs = operators(args.operators, COMPETENCES)
    schedule = calls(args.rate / 2, args.warmup + args.seconds, COMPETENCES, HANDLE_MEAN)
    t_seed = time.perf_counter()
    ours.seed(specs, COMPETENCES)
    log(f"{kind}: seeded {len(specs)} operators in {time.perf_counter() - t_seed:.1f} s")
    sync = ""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            sync = cursor.fetchone()[0]
    processes = args.processes if connection.vendor == "postgresql" else 1
    workers = args.workers if connection.vendor == "postgresql" else 1
    start = time.monotonic() + 3.0
    log(f"{kind}: router, {len(schedule)} calls over {args.warmup + args.seconds:.0f} s")
    connections.close_all()
    context = multiprocessing.get_context("fork")
    results: multiprocessing.queues.Queue[dict[str, Any]] = context.Queue()
    forks = [
        context.Process(
            target=_partition, args=(k, processes, workers, schedule, start, args, results)
        )
        for k in range(processes + 1)  # the last one is the router's clock
    ]
    for fork in forks:
        fork.start()
    parts = [results.get() for _ in forks]
    for fork in forks:
        fork.join()
    samples = {
        key: [x for p in parts for x in p["samples"][key]] for key in ("queued", "available")
    }
    counts: Counter[str] = Counter()
    for part in parts:
        counts.update(part["counts"])
    window = (start + args.warmup, start + args.warmup + args.seconds)
    last_done = max(p["last_done"] for p in parts)
    lag = sorted(x for p in parts for x in p["lag"])
    errors = [e for p in parts for e in p["errors"]]
    dropped = sum(p["dropped"] for p in parts)
    result: dict[str, Any] = {
        "ours": _summary(samples, counts, window, last_done),
        "synchronous_commit": sync,
    }
    result["ours"]["errors"] = len(errors)
    result["ours"]["dropped"] = dropped
    result["ours"]["first_errors"] = errors[:3]
    result["ours"]["scheduler_lag_p99_ms"] = lag[int(0.99 * (len(lag) - 1))] * 1000 if lag else 0
    result["ours"]["worker_start_lag"] = percentiles([x for p in parts for x in p["start_lag"]])
    for kind_ in ("arrive", "answer", "end", "tick"):
        result["ours"]["handled_" + kind_] = percentiles(
            [x for p in parts for x in p["durations"].get(kind_, [])]
        )
    result["ours"]["check"] = ours.double_assignments()
    result["ours"]["workers"] = f"{processes}×{workers}"
    if connection.vendor == "postgresql" and args.cold_rounds > 0:
        log(f"{kind}: events on a new connection, a kept one, after a savepoint rollback")
        wanted = len(cold.STATES) * args.cold_rounds * args.cold_events
        fresh = calls(args.rate / 2, 10 + wanted / (args.rate / 2), COMPETENCES, HANDLE_MEAN, 77)
        result["cold"] = cold.measure(fresh[:wanted], args.cold_rounds, args.cold_events)
    if connection.vendor == "postgresql" and not args.no_peer:
        from bench.routing.peer import Reference
        from bench.routing.peer import reset as peer_reset
        from bench.routing.peer import seed as peer_seed

        dsn = os.environ["DATABASE_URL"]
        peer_seed(dsn, specs)
        for poll_ms in args.peer_poll_ms:
            peer_reset(dsn)
            ref = Reference(dsn, schedule, poll_ms / 1000)
            log(f"{kind}: reference dispatcher, poll {poll_ms} ms")
            start = time.monotonic() + 1.0
            ref.run(start, args.warmup, args.seconds, args.peer_workers)
            summary = _summary(ref.samples, ref.counts, ref.window, ref.last_done)
            summary["errors"] = len(ref.errors)
            summary["dropped"] = ref.dropped
            summary["first_errors"] = ref.errors[:3]
            summary["check"] = ref.double_assignments()
            summary["passes"] = ref.passes
            summary["workers"] = f"1×{args.peer_workers} + 1 poller"
            result[f"peer_{poll_ms}ms"] = summary
    return result


def _partition(
    k: int,
    processes: int,
    workers: int,
    schedule: list[Call],
    start: float,
    args: argparse.Namespace,
    results: multiprocessing.queues.Queue[dict[str, Any]],
) -> None:
    """One router process: the calls numbered ``k`` mod ``processes`` arrive here; the answer
    and the end of every offer this process makes are handled here too (each process knows the
    whole schedule), as PBX webhooks land on whichever web process. Process ``processes`` is
    the router's clock (``routing_tick`` every second, as ``qoldau router`` runs it beside the
    web processes) with one worker of its own."""
    import gc

    from django.db import connection, transaction

    from bench.routing import ours

    # Configured as the web process that takes the PBX's webhooks (config/wsgi.py): start-up's
    # objects out of the garbage collector's full passes, a thread back from PostgreSQL gets
    # the GIL within a millisecond.
    gc.freeze()
    sys.setswitchinterval(float(os.environ.get("QOLDAU_WEB_SWITCH_INTERVAL", "0.001")))
    from qoldau.routing import services
    from qoldau.routing.models import Operator

    by_ref = {c.ref: c for c in schedule}
    offers = ours.Offers()
    samples: dict[str, list[float]] = {"queued": [], "available": []}
    counts: Counter[str] = Counter()
    lock = threading.Lock()
    window = (start + args.warmup, start + args.warmup + args.seconds)
    last_done = [0.0]
    driver: Driver

    def offered(made: list[tuple[str, int]], kind_: str, at: float, done: float) -> None:
        with lock:
            counts["offers_" + kind_] += len(made)
            if kind_ != "timer" and window[0] <= at < window[1]:
                samples[kind_].extend(done - at for _ in made)
        for ref, operator_id in made:
            driver.schedule(done + by_ref[ref].ring, "answer", (ref, operator_id))

    durations: dict[str, list[float]] = {}  # how long each kind of event took to handle

    def handle(kind_: str, payload: Any, at: float) -> None:
        began = time.monotonic()
        try:
            _handle(kind_, payload, at)
        finally:
            durations.setdefault(kind_, []).append(time.monotonic() - began)

    def _handle(kind_: str, payload: Any, at: float) -> None:
        if kind_ == "arrive":
            call: Call = payload
            offers.start()
            try:
                with transaction.atomic(durable=True):
                    services.task_submit(
                        channel="voice",
                        ref=call.ref,
                        attributes={"language": call.language, "skill": f"s{call.skill:03d}"},
                    )
            finally:
                made = offers.take()
            offered(made, "queued", at, time.monotonic())
        elif kind_ == "answer":
            ref, operator_id = payload
            with transaction.atomic(durable=True):
                services.task_assign(channel="voice", ref=ref, operator=Operator(pk=operator_id))
            driver.schedule(time.monotonic() + by_ref[ref].handle, "end", ref)
        elif kind_ == "end":
            offers.start()
            try:
                with transaction.atomic(durable=True):
                    services.task_finish(channel="voice", ref=payload)
            finally:
                made = offers.take()
            offered(made, "available", at, time.monotonic())
        elif kind_ == "tick":
            offers.start()
            try:
                services.routing_tick()
            finally:
                made = offers.take()
            offered(made, "timer", at, time.monotonic())
            driver.schedule(at + 1.0, "tick")
        if kind_ in ("arrive", "end") and window[0] <= at < window[1]:
            with lock:
                counts[kind_] += 1
                last_done[0] = time.monotonic()

    clock_process = k == processes
    driver = Driver(handle, 1 if clock_process else workers)
    if clock_process and not args.no_tick:
        driver.schedule(start + 0.5, "tick")
    else:
        for call in schedule:
            if call.number % processes == k:
                driver.schedule(start + call.at, "arrive", call)
    driver.run(until=window[1], done=connection.close)
    results.put(
        {
            "samples": samples,
            "counts": dict(counts),
            "last_done": last_done[0],
            "lag": driver.lag,
            "start_lag": driver.start_lag,
            "durations": durations,
            "errors": driver.errors,
            "dropped": driver.dropped,
        }
    )


def _summary(
    samples: dict[str, list[float]],
    counts: Counter[str],
    window: tuple[float, float],
    last_done: float,
) -> dict[str, Any]:
    events = counts["arrive"] + counts["end"]
    elapsed = max(window[1] - window[0], last_done - window[0])
    out: dict[str, Any] = {
        "all": percentiles(samples["queued"] + samples["available"]),
        "queued": percentiles(samples["queued"]),
        "available": percentiles(samples["available"]),
        "events": events,
        "events_per_s": events / elapsed,
        "counts": dict(counts),
    }
    return out


def _row(name: str, r: dict[str, Any]) -> list[object]:
    check = r["check"]
    doubles = check["task_overlaps"] + check["operator_overlaps"] + check.get("answered_twice", 0)

    def ms(x: float) -> str:
        return f"{x:.2f}" if x < 100 else f"{x:.0f}"

    return [
        name,
        r["workers"],
        f"{r['events_per_s']:.1f}",
        r["all"]["n"],
        ms(r["all"]["p50"]),
        ms(r["all"]["p99"]),
        ms(r["all"]["p999"]),
        f"{ms(r['queued']['p99'])} / {ms(r['available']['p99'])}",
        f"{r['queued']['n']} / {r['available']['n']}",
        check["reservations"],
        doubles,
        r.get("errors", 0),
        r.get("dropped", 0),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--warmup", type=float, default=10)
    parser.add_argument("--rate", type=float, default=200, help="events a second")
    parser.add_argument("--operators", type=int, default=OPERATORS)
    parser.add_argument("--processes", type=int, default=2, help="router processes (PostgreSQL)")
    parser.add_argument("--workers", type=int, default=2, help="threads per router process")
    parser.add_argument("--peer-workers", type=int, default=4, help="event-writer threads")
    parser.add_argument("--peer-poll-ms", type=int, nargs="*", default=[100, 10])
    parser.add_argument("--no-peer", action="store_true")
    parser.add_argument(
        "--no-tick", action="store_true", help="diagnosis: no routing_tick (no step timeouts)"
    )
    parser.add_argument(
        "--cold-rounds", type=int, default=3, help="new connections measured (PostgreSQL)"
    )
    parser.add_argument("--cold-events", type=int, default=30, help="calls per connection")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--child", choices=["postgres", "sqlite"])
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(args.child, args)))
        return
    passed = [a for a in sys.argv[1:] if a != "--markdown"]
    results: dict[str, Any] = {}
    if not args.no_postgres:
        results["postgres"] = child("bench.routing.latency", "postgres", passed)
    if not args.no_sqlite:
        results["sqlite"] = child("bench.routing.latency", "sqlite", passed)
    if not args.markdown:
        print(json.dumps(results, indent=1))
        return
    rows: list[list[object]] = []
    for kind, r in results.items():
        rows.append(_row(f"qoldau router, {kind}", r["ours"]))
        for key in sorted(k for k in r if k.startswith("peer_")):
            poll = key.removeprefix("peer_")
            rows.append(_row(f"SKIP LOCKED poller (mod_callcenter style, {poll}), {kind}", r[key]))
    headers = ["dispatcher", "workers", "events/s", "measured", "p50 ms", "p99 ms", "p99.9 ms"]
    headers += ["p99 queued / available", "n queued / available", "reservations"]
    headers += ["double assignments", "errors", "dropped"]
    print(
        f"{args.operators} operators, {COMPETENCES} competences, {args.rate:.0f} events/s "
        f"offered ({args.rate / 2:.0f} calls/s), {args.seconds:.0f} s measured after "
        f"{args.warmup:.0f} s warm-up"
    )
    print(markdown(headers, rows))
    for kind, r in results.items():
        if r.get("cold"):
            print(
                f"\nOne thread, {args.cold_rounds} connections × {args.cold_events} calls "
                f"({kind}): p50 ms of an event by its position on the connection"
            )
            print(markdown(cold.headers(), cold.rows(r["cold"])))
    for kind, r in results.items():
        print(f"synchronous_commit ({kind}): {r.get('synchronous_commit') or '—'}")
    for kind, r in results.items():
        for name, part in r.items():
            if isinstance(part, dict) and part.get("first_errors"):
                print(f"errors ({kind}, {name}): {part['first_errors']}")
    print(
        "events/s: measured events (arrivals and call ends) handled per second of the window; "
        "dropped: events still waiting for a worker 30 s after the window closed"
    )


if __name__ == "__main__":
    main()
