"""Live metrics (R16, R19): ASA, service level and abandonment over a month of call records.

Writes one month (November 2026, local Almaty days) of synthetic call records to a CSV file,
bulk-loads it into a throw-away database (``COPY`` on PostgreSQL, one ``executemany``
transaction on SQLite), then times, in the same run and on the same rows:

- **ours**: ``qoldau.reports.call_metrics`` selectors: the month's figures per queue and
  language (``call_figures``), the month per local day (``call_figures_per_day``), a day's 96
  quarter-hours (``call_figures_per_interval``) and the wallboard's ``live_figures``;
- **hand SQL**: one hand-written aggregate on the same database connection (no ORM), the
  floor of what the database can do with that query;
- **DuckDB**: the columnar engine reading the same CSV into its own table, the same aggregate.

and the quality page's rating tables (per operator, service, line and day; R13): read from the
call records before the month's ratings are sealed, then from the day rollup after, beside a
hand-written aggregate of the ratings per operator. The calls point at 300 operators and 120
services, and come in on three lines.

Each figure set is checked to agree (counts exactly, wait sums to 1e-6; the rating tables from
the rollup exactly as from the call records). Timings are the median
of ``--repeat`` warm runs.

    .venv/bin/python -m bench.reports.metrics [--calls 1000000] [--repeat 5] [--markdown]
        [--backends sqlite,postgres]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import functools
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bench.knowledge.common import PYTHON, ROOT, backend, log, markdown

ZONE = ZoneInfo("Asia/Almaty")
FIRST_DAY = dt.date(2026, 11, 1)
DAYS = 30
QUEUES = ["general", "egov", "eds", "pensions", "business", "vip"]
LANGUAGES = [("ru", 0.53), ("kk", 0.45), ("en", 0.02)]
# Share of each local hour in a day's calls: quiet at night, busy 9-18.
HOURLY = [1, 1, 1, 1, 1, 2, 3, 6, 10, 12, 12, 11, 10, 11, 11, 10, 9, 7, 5, 4, 3, 2, 2, 1]
COLUMNS = [
    "call_id",
    "source",
    "line",
    "caller",
    "caller_raw",
    "language",
    "queue",
    "state",
    "arrived_at",
    "answered_at",
    "ended_at",
    "wait_seconds",
    "talk_seconds",
    "abandoned",
    "transfers",
    "recording_uri",
    "ended_reason",
    "last_seq",
    "anomalies",
    "updated_at",
    "rating",
    "operator_id",
    "service_id",
]
# Who answered and which service a call was about: ids the worker gives its operators and
# services (a fresh database has none of its own in that range).
FIRST_ID = 900_001
OPERATORS = 300
SERVICES = 120
LINES = [("1414", 0.85), ("88000807777", 0.14), ("", 0.01)]
UNUSABLE = "!"  # no one signs in as a benchmark operator
TARGET = 30  # the p.7 value seeded in the policy table; the worker reads it from there.

HAND_SQL = """
SELECT queue, language, COUNT(*),
  SUM(CASE WHEN abandoned = {false} AND wait_seconds IS NOT NULL THEN 1 ELSE 0 END),
  SUM(CASE WHEN abandoned = {false} AND wait_seconds IS NOT NULL AND wait_seconds <= {target}
      THEN 1 ELSE 0 END),
  SUM(CASE WHEN abandoned = {true} THEN 1 ELSE 0 END),
  SUM(CASE WHEN abandoned = {false} AND wait_seconds IS NOT NULL THEN wait_seconds END)
FROM {table} WHERE arrived_at >= {p} AND arrived_at < {p}
GROUP BY queue, language
"""


HAND_RATINGS_SQL = """
SELECT operator_id, COUNT(*), SUM(rating) FROM telephony_callrecord
WHERE arrived_at >= %s AND arrived_at < %s AND rating IS NOT NULL
GROUP BY operator_id
"""


def _stamp(moment: dt.datetime, kind: str) -> str:
    utc = moment.astimezone(dt.UTC)
    if kind == "postgres":
        return utc.isoformat()
    return utc.replace(tzinfo=None).isoformat(" ")  # how Django stores datetimes on SQLite


def write_csv(path: Path, calls: int, kind: str, seed: int = 1414) -> dict[str, int]:
    """``calls`` records spread over the month by hour of day; the last few still waiting."""
    rng = random.Random(seed)
    hours = [(day, hour) for day in range(DAYS) for hour in range(24)]
    weights = [HOURLY[hour] for _day, hour in hours]
    slots = rng.choices(hours, weights=weights, k=calls)
    slots.sort()
    waiting = 0
    last_moment = dt.datetime.combine(
        FIRST_DAY + dt.timedelta(days=DAYS - 1), dt.time(23, 50), tzinfo=ZONE
    )
    false, true = ("f", "t") if kind == "postgres" else ("0", "1")
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        for number, (day, hour) in enumerate(slots):
            arrived = dt.datetime.combine(
                FIRST_DAY + dt.timedelta(days=day), dt.time(hour), tzinfo=ZONE
            ) + dt.timedelta(seconds=rng.randrange(3600))
            language = rng.choices([c for c, _w in LANGUAGES], [w for _c, w in LANGUAGES])[0]
            queue = rng.choice(QUEUES)
            roll = rng.random()
            answered_at = ended_at = rating = operator = ""
            line = rng.choices([c for c, _w in LINES], [w for _c, w in LINES])[0]
            service = "" if rng.random() < 0.2 else str(FIRST_ID + rng.randrange(SERVICES))
            wait: str = ""
            talk: str = ""
            if arrived >= last_moment and roll < 0.5:
                state, abandoned = "queued", false
                waiting += 1
            elif roll < 0.08:
                state, abandoned = "abandoned", true
                wait_s = round(rng.uniform(1, 120), 1)
                wait = str(wait_s)
                ended_at = _stamp(arrived + dt.timedelta(seconds=wait_s), kind)
            else:
                state, abandoned = "ended", false
                # Mostly short waits, with a tail; exactly 30.0 s happens too (the boundary).
                wait_s = round(min(rng.expovariate(1 / 22), 600), 1)
                wait = str(wait_s)
                talk_s = round(rng.uniform(30, 600), 1)
                talk = str(talk_s)
                answered = arrived + dt.timedelta(seconds=wait_s)
                answered_at = _stamp(answered, kind)
                ended_at = _stamp(answered + dt.timedelta(seconds=talk_s), kind)
                operator = str(FIRST_ID + rng.randrange(OPERATORS))
                if rng.random() < 0.3:  # about a third of the callers rate the answer (p.13)
                    rating = str(rng.choice([5, 5, 5, 4, 4, 3, 2, 1]))
            stamp = _stamp(arrived, kind)
            writer.writerow(
                [
                    f"bench-{number:07d}",
                    "bench",
                    line,
                    f"+7701{number % 10_000_000:07d}",
                    f"8701{number % 10_000_000:07d}",
                    language,
                    queue,
                    state,
                    stamp,
                    answered_at,
                    ended_at,
                    wait,
                    talk,
                    abandoned,
                    0,
                    "",
                    "",
                    4,
                    "[]",
                    stamp,
                    rating,
                    operator,
                    service,
                ]
            )
    return {"calls": calls, "waiting": waiting}


# --- the worker: runs inside a migrated throw-away database (its environment) ------------------


def _timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    fn()  # warm the cache and the connection
    times = []
    result = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def _people_and_services() -> None:
    """The operators and services the generated calls point at."""
    from qoldau.accounts.models import User
    from qoldau.registry.models import Organisation, PublicService

    User.objects.bulk_create(
        [
            User(
                pk=FIRST_ID + n,
                username=f"bench-op{n:03d}",
                first_name="Оператор",
                last_name=f"№{n:03d}",
                password=UNUSABLE,
            )
            for n in range(OPERATORS)
        ]
    )
    owner = Organisation.objects.create(kind="central_body", name_kk="Министрлік", name_ru="Мин")
    PublicService.objects.bulk_create(
        [
            PublicService(
                pk=FIRST_ID + n,
                register_number=f"bench-{n:05d}",
                owner=owner,
                name_kk=f"Қызмет {n}",
                name_ru=f"Услуга {n}",
            )
            for n in range(SERVICES)
        ]
    )


def _rating_tuples(table: Any) -> list[tuple[Any, ...]]:
    rows = [*table.rows, table.total]
    return [(r.label, r.rated, round(r.average or 0.0, 9), r.distribution) for r in rows]


def _load(path: Path, kind: str) -> float:
    from django.db import connection

    started = time.perf_counter()
    columns = ", ".join(COLUMNS)
    with connection.cursor() as cursor:
        if kind == "postgres":
            raw = cursor.cursor
            with (
                raw.copy(
                    f"COPY telephony_callrecord ({columns}) FROM STDIN WITH (FORMAT csv, "
                    "FORCE_NOT_NULL (source, line, caller, caller_raw, recording_uri, "
                    "ended_reason))"
                ) as copy,
                path.open("rb") as data,
            ):
                while chunk := data.read(1 << 20):
                    copy.write(chunk)
            connection.commit() if not connection.get_autocommit() else None
            cursor.execute("VACUUM ANALYZE telephony_callrecord")
        else:
            marks = ", ".join(["%s"] * len(COLUMNS))
            sql = f"INSERT INTO telephony_callrecord ({columns}) VALUES ({marks})"
            with path.open(newline="", encoding="utf-8") as data:
                rows = [[v if v != "" else None for v in row] for row in csv.reader(data)]
            for row in rows:
                for i in (1, 2, 3, 4, 15, 16):  # NOT NULL text columns may be empty
                    row[i] = row[i] or ""
            cursor.execute("BEGIN")
            cursor.executemany(sql, rows)
            cursor.execute("COMMIT")
            cursor.execute("ANALYZE")
    return time.perf_counter() - started


def _totals(rows: list[tuple[Any, ...]]) -> dict[str, float]:
    keys = ["calls", "answered", "within", "abandoned", "wait_sum"]
    total = dict.fromkeys(keys, 0.0)
    for row in rows:
        for key, value in zip(keys, row[2:], strict=True):
            total[key] += float(value or 0)
    return total


def worker(path: Path, kind: str, repeat: int) -> dict[str, Any]:
    import django

    django.setup()
    from django.db import connection

    from qoldau.reports import call_metrics as cm
    from qoldau.reports.periods import period_of_days
    from qoldau.reports.rollup import call_intervals_seal

    _people_and_services()
    load_seconds = _load(path, kind)
    from qoldau.reports import quality
    from qoldau.reports.rollup import rating_days_seal

    month = period_of_days(FIRST_DAY, FIRST_DAY + dt.timedelta(days=DAYS - 1))
    ratings_before = {
        dim: _timed(functools.partial(quality.rating_table, month, dim), max(1, repeat // 2))
        for dim in quality.RATING_DIMENSIONS
    }
    started = time.perf_counter()
    sealed_rows = call_intervals_seal(
        now=dt.datetime.combine(FIRST_DAY + dt.timedelta(days=DAYS), dt.time(0, 30), tzinfo=ZONE)
    )
    seal_seconds = time.perf_counter() - started
    started = time.perf_counter()
    rating_rows = rating_days_seal(
        now=dt.datetime.combine(FIRST_DAY + dt.timedelta(days=DAYS), dt.time(2, 30), tzinfo=ZONE)
    )
    rating_seal_seconds = time.perf_counter() - started
    target = cm.answer_target(month.start)
    busy_day = FIRST_DAY + dt.timedelta(days=14)
    now = dt.datetime.combine(FIRST_DAY + dt.timedelta(days=DAYS - 1), dt.time(23, 58), tzinfo=ZONE)
    timings: dict[str, float] = {}
    timings["month, per queue and language"], ours = _timed(
        lambda: cm.call_figures(month, target=target), repeat
    )
    timings["month, per local day"], _days = _timed(
        lambda: cm.call_figures_per_day(month, target=target), repeat
    )
    timings["a day's 96 quarter-hours"], _quarters = _timed(
        lambda: cm.call_figures_per_interval(busy_day, target=target), repeat
    )
    timings["wallboard (15/60 min, today, waiting)"], live = _timed(
        lambda: cm.live_figures(now), repeat
    )
    ratings: dict[str, Any] = {}
    for dim in quality.RATING_DIMENSIONS:
        timings[f"quality: month's ratings per {dim}"], ratings[dim] = _timed(
            functools.partial(quality.rating_table, month, dim), repeat
        )
    ratings_agree = all(
        _rating_tuples(ratings[dim]) == _rating_tuples(ratings_before[dim][1])
        for dim in quality.RATING_DIMENSIONS
    )

    false, true, p = ("false", "true", "%s") if kind == "postgres" else ("0", "1", "%s")
    sql = HAND_SQL.format(
        false=false, true=true, target=target.seconds, table="telephony_callrecord", p=p
    )

    def hand() -> list[tuple[Any, ...]]:
        with connection.cursor() as cursor:
            ops = connection.ops
            bounds = [ops.adapt_datetimefield_value(m) for m in (month.start, month.end)]
            cursor.execute(sql, bounds)
            return list(cursor.fetchall())

    hand_seconds, hand_rows = _timed(hand, repeat)

    def hand_ratings() -> dict[str, tuple[int, int]]:
        with connection.cursor() as cursor:
            ops = connection.ops
            bounds = [ops.adapt_datetimefield_value(m) for m in (month.start, month.end)]
            cursor.execute(HAND_RATINGS_SQL, bounds)
            return {str(op or ""): (int(n), int(total)) for op, n, total in cursor.fetchall()}

    hand_ratings_seconds, by_operator = _timed(hand_ratings, repeat)
    total = ours.total
    return {
        "kind": kind,
        "load_seconds": load_seconds,
        "seal_seconds": seal_seconds,
        "sealed_rows": sealed_rows,
        "timings": timings,
        "hand_seconds": hand_seconds,
        "target": target.seconds,
        "ours": {
            "calls": total.calls,
            "answered": total.answered,
            "within": total.within_target,
            "abandoned": total.abandoned,
            "wait_sum": total.wait_sum,
            "asa": total.asa_seconds,
            "service_level": total.service_level,
            "abandonment": total.abandonment_rate,
        },
        "hand": _totals(hand_rows),
        "live_waiting": live.waiting.calls,
        "days": len(_days),
        "rated": ratings["line"].total.rated,
        "ratings_before": {dim: seconds for dim, (seconds, _t) in ratings_before.items()},
        "rating_rows": rating_rows,
        "rating_seal_seconds": rating_seal_seconds,
        "hand_ratings_seconds": hand_ratings_seconds,
        # The rollup's tables equal the call records' (before sealing), and its per-operator
        # counts and score sums equal the hand-written query's.
        "ratings_agree": ratings_agree
        and sum(n for n, _s in by_operator.values()) == ratings["operator"].total.rated
        and len(by_operator) == len(ratings["operator"].rows),
    }


def duckdb_peer(path: Path, repeat: int, target: int) -> dict[str, Any]:
    import duckdb

    con = duckdb.connect()
    started = time.perf_counter()
    names = ", ".join(f"'{c}': 'VARCHAR'" for c in COLUMNS)
    con.execute(
        f"CREATE TABLE calls AS SELECT queue, language, "
        f"CAST(arrived_at AS TIMESTAMPTZ) AS arrived_at, abandoned IN ('t', '1') AS abandoned, "
        f"TRY_CAST(wait_seconds AS DOUBLE) AS wait_seconds "
        f"FROM read_csv('{path}', header=false, columns={{{names}}}, nullstr='')"
    )
    load = time.perf_counter() - started
    sql = HAND_SQL.format(false="false", true="true", target=target, table="calls", p="?")
    start = dt.datetime.combine(FIRST_DAY, dt.time.min, tzinfo=ZONE)
    end = start + dt.timedelta(days=DAYS)
    seconds, rows = _timed(lambda: con.execute(sql, [start, end]).fetchall(), repeat)
    return {"load_seconds": load, "seconds": seconds, "totals": _totals(rows)}


def _agree(a: dict[str, float], b: dict[str, float]) -> bool:
    counts = all(int(a[k]) == int(b[k]) for k in ("calls", "answered", "within", "abandoned"))
    return counts and abs(a["wait_sum"] - b["wait_sum"]) <= 1e-6 * max(1.0, abs(a["wait_sum"]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--worker", nargs=2, metavar=("CSV", "KIND"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(Path(args.worker[0]), args.worker[1], args.repeat)))
        return 0

    results = []
    with tempfile.TemporaryDirectory(prefix="qoldau-metrics-bench-") as tmp:
        for kind in args.backends.split(","):
            path = Path(tmp) / f"calls-{kind}.csv"
            started = time.perf_counter()
            shape = write_csv(path, args.calls, kind)
            log(f"{kind}: wrote {shape['calls']:,} calls in {time.perf_counter() - started:.1f} s")
            with backend(kind) as env:
                done = subprocess.run(
                    [PYTHON, "-m", "bench.reports.metrics", "--repeat", str(args.repeat),
                     "--worker", str(path), kind],
                    env={**env, "PYTHONPATH": str(ROOT)},
                    cwd=ROOT,
                    capture_output=True,
                    text=True,
                    timeout=3600,
                    check=False,
                )  # fmt: skip
            if done.returncode != 0:
                sys.stderr.write(done.stdout[-2000:] + done.stderr[-4000:])
                return 1
            result = json.loads(done.stdout.strip().splitlines()[-1])
            result["duckdb"] = duckdb_peer(path, args.repeat, result["target"])
            ours = {k: float(v) for k, v in result["ours"].items() if k in result["hand"]}
            result["agree_hand"] = _agree(ours, result["hand"])
            result["agree_duckdb"] = _agree(ours, result["duckdb"]["totals"])
            log(f"{kind}: loaded in {result['load_seconds']:.1f} s; agree: "
                f"hand SQL {result['agree_hand']}, DuckDB {result['agree_duckdb']}")  # fmt: skip
            results.append(result)
    _print(results, args)
    agree = all(r["agree_hand"] and r["agree_duckdb"] and r["ratings_agree"] for r in results)
    return 0 if agree else 1


def _print(results: list[dict[str, Any]], args: argparse.Namespace) -> None:
    rows: list[list[object]] = []
    for r in results:
        for name, seconds in r["timings"].items():
            rows.append([r["kind"], f"ours: {name}", f"{seconds * 1000:.0f}"])
        for dim, seconds in r["ratings_before"].items():
            before = f"ours before the ratings are sealed (call records): ratings per {dim}"
            rows.append([r["kind"], before, f"{seconds * 1000:.0f}"])
        seal = f"ours: seal the month into {r['sealed_rows']:,} quarter-hour rows (once)"
        rows.append([r["kind"], seal, f"{r['seal_seconds'] * 1000:.0f}"])
        seal = f"ours: seal the month's ratings into {r['rating_rows']:,} day rows (once)"
        rows.append([r["kind"], seal, f"{r['rating_seal_seconds'] * 1000:.0f}"])
        hand = "hand SQL on the call records: month's ratings per operator"
        rows.append([r["kind"], hand, f"{r['hand_ratings_seconds'] * 1000:.0f}"])
        hand = "hand SQL on the call records: month, per queue and language"
        rows.append([r["kind"], hand, f"{r['hand_seconds'] * 1000:.0f}"])
        duck = "DuckDB (same rows, in memory): same aggregate"
        rows.append([r["kind"], duck, f"{r['duckdb']['seconds'] * 1000:.0f}"])
    figures = []
    for r in results:
        o = r["ours"]
        figures.append(
            [
                r["kind"],
                f"{o['calls']:,}",
                f"{o['asa']:.2f}",
                f"{o['service_level'] * 100:.2f} %",
                f"{o['abandonment'] * 100:.2f} %",
                "yes" if r["agree_hand"] else "NO",
                "yes" if r["agree_duckdb"] else "NO",
                f"{r['rated']:,}",
                "yes" if r["ratings_agree"] else "NO",
                f"{r['load_seconds']:.0f}",
            ]
        )
    header = f"{args.calls:,} calls over {DAYS} days; median of {args.repeat} warm runs; "
    header += f"{os.cpu_count()} CPUs; target {results[0]['target'] if results else TARGET} s"
    if args.markdown:
        print(header + "\n")
        print(markdown(["database", "what", "ms"], rows))
        print()
        print(markdown(["database", "calls", "ASA, s", "service level", "abandoned",
                        "= hand SQL", "= DuckDB", "rated", "ratings agree", "load, s"],
                       figures))  # fmt: skip
    else:
        print(header)
        for row in rows + figures:
            print("  ".join(str(c) for c in row))


if __name__ == "__main__":
    raise SystemExit(main())
