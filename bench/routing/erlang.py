"""Erlang C (issue 5): the real router, driven through its services against a real database on a
virtual clock, reproduces the average speed of answer of an M/M/N queue.

Every operator holds the one competence; Poisson arrivals, exponential handle times, N
operators, offered load A < N erlangs, no abandonment, zero wrap-up, the operator answers the
moment the call is offered. A discrete-event simulation moves ``qoldau.core.clock`` to each
event's time with ``time_machine.travel(…, tick=False)`` and calls ``task_submit`` (arrival),
``task_assign`` (answer) and ``task_finish`` (end; the router then offers the freed operator the
oldest waiting call). Waits are read back from the tasks (``assigned_at - created_at``).

Beside it, on the same arrival and handle times, an ideal FCFS M/M/N queue in a few lines of
Python: a work-conserving FCFS router must give every call exactly the same wait, so the two are
compared call by call. Erlang C: P(wait) = C(N, A), ASA = P(wait) · AHT / (N - A). The 95%
confidence interval is by batch means (20 batches, after a 5% warm-up).

    .venv/bin/python -m bench.routing.erlang [--calls 20000] [--points 10:8 50:45] [--markdown]
"""

from __future__ import annotations

import argparse
import datetime as dt
import heapq
import json
import math
import random
import statistics
import sys
import time
from typing import Any

from bench.knowledge.common import log, markdown
from bench.routing.common import child, erlang_asa, erlang_c

AHT = 180.0  # seconds (1414's calls take about three minutes)
BATCHES = 20
T_975_19 = 2.093  # Student's t, 19 degrees of freedom


def inputs(servers: int, load: float, calls: int, seed: int) -> tuple[list[float], list[float]]:
    rng = random.Random(seed * 1000 + servers)
    rate = load / AHT
    t = 0.0
    arrivals: list[float] = []
    handles: list[float] = []
    for _ in range(calls):
        t += rng.expovariate(rate)
        arrivals.append(t)
        handles.append(rng.expovariate(1 / AHT))
    return arrivals, handles


def ideal_waits(servers: int, arrivals: list[float], handles: list[float]) -> list[float]:
    """FCFS M/M/N: each call takes the server that frees first."""
    free = [0.0] * servers
    waits: list[float] = []
    for at, handle in zip(arrivals, handles, strict=True):
        start = max(at, heapq.heappop(free))
        waits.append(start - at)
        heapq.heappush(free, start + handle)
    return waits


def ideal_long(servers: int, load: float, calls: int, seed: int) -> tuple[float, float]:
    """``batch_ci(ideal_waits(...))`` over ``calls`` new calls, streamed (no lists): a long
    run of the ideal queue says how close a sample of it comes to the formula."""
    rng = random.Random(seed * 1000 + servers)
    rate, mean_handle = load / AHT, AHT
    free = [0.0] * servers
    warm = calls // 20
    size = (calls - warm) // BATCHES
    sums = [0.0] * BATCHES
    t = 0.0
    for index in range(warm + size * BATCHES):
        t += rng.expovariate(rate)
        start = max(t, heapq.heappop(free))
        heapq.heappush(free, start + rng.expovariate(1 / mean_handle))
        if index >= warm:
            sums[(index - warm) // size] += start - t
    means = [total / size for total in sums]
    return statistics.fmean(means), T_975_19 * statistics.stdev(means) / math.sqrt(BATCHES)


def batch_ci(waits: list[float]) -> tuple[float, float]:
    """Mean and 95% half-width by batch means, after dropping the first 5% (warm-up)."""
    kept = waits[len(waits) // 20 :]
    size = len(kept) // BATCHES
    means = [statistics.fmean(kept[i * size : (i + 1) * size]) for i in range(BATCHES)]
    return statistics.fmean(means), T_975_19 * statistics.stdev(means) / math.sqrt(BATCHES)


def _child(args: argparse.Namespace) -> dict[str, Any]:
    import django

    django.setup()
    import time_machine
    from django.conf import settings
    from django.db import connection, transaction

    from bench.routing import ours
    from bench.routing.common import OperatorSpec
    from qoldau.routing import services
    from qoldau.routing.models import Operator, Task

    settings.ROUTING_WRAP_UP_SECONDS = 0
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            # Durability plays no part in a simulation; the router's SQL is the same.
            cursor.execute("PRAGMA synchronous=NORMAL")
    servers, load = args.servers, args.load
    arrivals, handles = inputs(servers, load, args.calls, args.seed)
    base = dt.datetime(2026, 1, 5, 3, 0, tzinfo=dt.UTC)
    out: dict[str, Any] = {"servers": servers, "load": load, "calls": args.calls}
    with time_machine.travel(base, tick=False) as traveller:
        specs = [OperatorSpec(n, {0: 3}, {"kk": 5}, 0.0) for n in range(servers)]
        ours.seed(specs, 1, expert_step=False)
        offers = ours.Offers()
        heap: list[tuple[float, int, int]] = []  # (time, kind 0=end 1=arrival, call)
        for number, at in enumerate(arrivals):
            heapq.heappush(heap, (at, 1, number))
        busy = 0
        waiting = 0
        idle_while_waiting = 0
        events = 0
        started = time.monotonic()

        def assign(made: list[tuple[str, int]], now: float) -> None:
            nonlocal busy, waiting
            for ref, operator_id in made:
                with transaction.atomic(durable=True):
                    services.task_assign(
                        channel="voice", ref=ref, operator=Operator(pk=operator_id)
                    )
                number = int(ref.removeprefix("c"))
                heapq.heappush(heap, (now + handles[number], 0, number))
                busy += 1
                waiting -= 1

        while heap:
            now, kind, number = heapq.heappop(heap)
            traveller.move_to(base + dt.timedelta(seconds=now))
            offers.start()
            try:
                with transaction.atomic(durable=True):
                    if kind == 1:
                        waiting += 1
                        services.task_submit(
                            channel="voice",
                            ref=f"c{number}",
                            attributes={"language": "kk", "skill": "s000"},
                        )
                    else:
                        busy -= 1
                        services.task_finish(channel="voice", ref=f"c{number}")
            finally:
                made = offers.take()
            assign(made, now)
            events += 1
            if busy < servers and waiting > 0:
                idle_while_waiting += 1
            if events % 20000 == 0:
                log(f"N={servers} A={load}: {events} events, {time.monotonic() - started:.0f} s")
        out["wall_seconds"] = time.monotonic() - started
        out["events"] = events
        out["idle_while_waiting"] = idle_while_waiting
    rows = Task.objects.values_list("ref", "created_at", "assigned_at")
    waits = [0.0] * args.calls
    unassigned = 0
    for ref, created, assigned in rows.iterator(chunk_size=5000):
        if assigned is None:
            unassigned += 1
            continue
        waits[int(ref.removeprefix("c"))] = (assigned - created).total_seconds()
    ideal = ideal_waits(servers, arrivals, handles)
    diffs = [abs(a - b) for a, b in zip(waits, ideal, strict=True)]
    out["unassigned"] = unassigned
    out["differ_from_ideal"] = sum(1 for d in diffs if d > 1e-5)
    out["max_diff_s"] = max(diffs)
    out["router"] = batch_ci(waits)
    out["ideal"] = batch_ci(ideal)
    # Common random numbers: the router's waits minus the ideal queue's on the same calls.
    out["router_minus_ideal"] = batch_ci([a - b for a, b in zip(waits, ideal, strict=True)])
    out["waited_share"] = sum(1 for w in waits if w > 0) / len(waits)
    out["check"] = ours.double_assignments()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--calls", type=int, default=20000)
    parser.add_argument("--points", nargs="*", default=["10:8", "50:45"], help="N:A pairs")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--ideal-calls", type=int, default=100_000_000, help="calls of the long ideal-queue run"
    )
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--child", choices=["postgres", "sqlite"])
    parser.add_argument("--servers", type=int)
    parser.add_argument("--load", type=float)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(args)))
        return
    results: list[dict[str, Any]] = []
    for point in args.points:
        n, a = point.split(":")
        extra = ["--calls", str(args.calls), "--seed", str(args.seed)]
        result = child(
            "bench.routing.erlang",
            args.database,
            [*extra, "--servers", n, "--load", a],
            timeout=7200,
        )
        # The same ideal queue over many more calls: how close sampling gets to the formula.
        result["ideal_long"] = ideal_long(int(n), float(a), args.ideal_calls, args.seed + 7)
        results.append(result)
        print(json.dumps(result), file=sys.stderr)
    if not args.markdown:
        print(json.dumps(results, indent=1))
        return
    rows: list[list[object]] = []
    for r in results:
        n, a = r["servers"], r["load"]
        asa = erlang_asa(n, a, AHT)
        mean, half = r["router"]
        ideal_mean, ideal_half = r["ideal_long"]
        # The router's long-run ASA estimated as the ideal queue's long run plus the router's
        # paired difference from the ideal queue (a control variate); independent errors.
        gap, gap_half = r["router_minus_ideal"]
        estimate, estimate_half = ideal_mean + gap, math.hypot(ideal_half, gap_half)
        rows.append(
            [
                n,
                a,
                f"{erlang_c(n, a):.4f}",
                f"{r['waited_share']:.4f}",
                f"{asa:.2f}",
                f"{mean:.2f} ± {half:.2f}",
                f"{(mean / asa - 1) * 100:+.2f}% (CI ±{half / asa * 100:.1f}%)",
                f"{r['calls']:,}",
                f"{r['differ_from_ideal']} (max {r['max_diff_s'] * 1e6:.0f} µs)",
                r["idle_while_waiting"],
                r["check"]["task_overlaps"] + r["check"]["operator_overlaps"],
                f"{ideal_mean:.2f} ± {ideal_half:.2f} ({(ideal_mean / asa - 1) * 100:+.2f}%)",
                f"{gap:+.6f} ± {gap_half:.6f}",
                f"{estimate:.2f} ± {estimate_half:.2f}: {(estimate / asa - 1) * 100:+.2f}% "
                f"(CI ±{estimate_half / asa * 100:.2f}%)",
            ]
        )
    headers = ["N", "A", "P(wait) Erlang C", "share waited", "ASA Erlang C s"]
    headers += ["ASA router s (95% CI)", "router vs Erlang C", "calls"]
    headers += ["calls whose wait ≠ ideal FCFS queue", "moments idle while a call waited"]
    headers += ["double assignments", f"ideal queue, {args.ideal_calls:,} calls: ASA s"]
    headers += ["router − ideal, same calls: s", "router's ASA by control variate vs Erlang C"]
    print(f"AHT {AHT:.0f} s, exponential; Poisson arrivals; database: {args.database}")
    print(markdown(headers, rows))


if __name__ == "__main__":
    main()
