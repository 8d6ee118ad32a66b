"""API intake (issue 4): ``POST /api/v1/appeals/`` with an API key and ``Idempotency-Key``
headers, driven by concurrent keep-alive clients against the real app served as in production
(granian, ``config/serve.py``; ``--server gunicorn`` or ``runserver`` for the earlier set-ups),
10% of the appeals sent a second time with the same key and body; after the run the duplicates are
counted (must be 0). The load comes from ``wrk`` with ``bench/appeals/intake.lua`` (C, so the
2 cores go to the app; Debian package ``wrk``), or ``--load python`` for the http.client threads.
Beside it, in the same run, ``pgbench`` running the same inserts, the ceiling: the intake's own
statements in the app's tables (``bench.appeals.intake_peer``), one intake per transaction and in
batches as the group committer sends them; and, as a stricter yardstick, one appeal-shaped row
per transaction into a scratch table; on PostgreSQL with ``synchronous_commit=on``. Also the app
on SQLite.

    .venv/bin/python -m bench.appeals.api_intake [--clients 48] [--rounds 3] [--markdown]
    .venv/bin/python -m bench.appeals.api_intake --load python --requests 2000  # http.client

Each database gets ``--rounds`` measured runs of wrk against the same server after a warm-up;
the table shows every round and the summary its median. The CPU each side spent per intake
(the web server's processes, PostgreSQL's backends) is read from ``/proc`` around each round.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import http.client
import json
import os
import random
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg

from bench.knowledge.common import (
    POSTGRES_DSN,
    PYTHON,
    ROOT,
    api_key,
    backend,
    free_port,
    log,
    markdown,
    percentile,
    run,
    runserver,
    server,
)

PATH = "/api/v1/appeals/"
LUA = Path(__file__).with_name("intake.lua")
GUNICORN = str(Path(PYTHON).with_name("gunicorn"))
RETRY_SHARE = 0.10
PGBENCH_SCRIPT = """\
INSERT INTO bench_appeal (number, channel, status, language, applicant_name, applicant_email,
  subject, content, received_at, registered_at, due_at)
VALUES ('1414-2026-' || lpad((random() * 999999)::int::text, 6, '0'), 'api', 'registered', 'ru',
  'Айгүл Серікқызы', 'citizen@example.kz', 'Справка',
  'Здравствуйте! Как получить адресную справку через портал электронного правительства?',
  now(), now(), now() + interval '2 days');
"""
_COUNT = """
import django, json; django.setup()
from django.db import connection
from django.db.models import Count
from qoldau.appeals.models import Appeal
rows = Appeal.objects.filter(channel="api")
dups = rows.values("content").annotate(n=Count("id")).filter(n__gt=1).count()
sync = ""
if connection.vendor == "postgresql":
    with connection.cursor() as cur:
        cur.execute("SHOW synchronous_commit")
        sync = cur.fetchone()[0]
from qoldau.audit.selectors import audit_verify_all
from qoldau.core.models import OutboxMessage
audit = sum(len(report.problems) for report in audit_verify_all())
acks = OutboxMessage.objects.filter(category="appeals.acknowledgement").count()
print(json.dumps({"appeals": rows.count(), "distinct": rows.values("content").distinct().count(),
                  "duplicated_contents": dups, "synchronous_commit": sync,
                  "audit_problems": audit, "acknowledgements": acks}))
"""


class Poster:
    """Keep-alive http.client POSTs; TCP_QUICKACK as in bench.knowledge.common.Client."""

    def __init__(self, port: int, key: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.key = key

    def _sock(self) -> socket.socket:
        sock = self.conn.sock
        if sock is None:
            raise RuntimeError("the connection has no socket")
        return sock

    def post(self, body: bytes, idem: str) -> tuple[int, bool]:
        if self.conn.sock is None:
            self.conn.connect()
            self._sock().setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        headers = {
            "X-API-Key": self.key,
            "Idempotency-Key": idem,
            "Content-Type": "application/json",
            "Accept-Language": "ru",
        }
        self.conn.request("POST", PATH, body=body, headers=headers)
        self._sock().setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        response = self.conn.getresponse()
        data = response.read()
        if response.status not in (200, 201):
            raise RuntimeError(f"POST {PATH}: {response.status} {data[:300]!r}")
        if response.will_close:
            self.conn.close()
        return response.status, response.getheader("Idempotent-Replayed") == "true"


def drive(port: int, key: str, clients: int, requests: int, seed: int) -> dict[str, Any]:
    """``requests`` intakes over ``clients`` threads; 10% of them sent a second time."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    counts = {"sent": 0, "retried": 0, "replayed": 0, "errors": 0}
    lock = threading.Lock()
    barrier = threading.Barrier(clients + 1)

    def client(index: int) -> None:
        rng = random.Random(seed + index)
        poster = Poster(port, key)
        mine = latencies[index]
        local = {"sent": 0, "retried": 0, "replayed": 0, "errors": 0}
        barrier.wait()
        for n in range(requests // clients):
            token = f"{index}-{n}-{uuid.uuid4().hex[:8]}"
            body = json.dumps(
                {
                    "content": f"Здравствуйте! Как получить адресную справку? ({token})",
                    "name": "Айгүл Серікқызы",
                    "email": f"c{index}x{n}@example.kz",
                    "language": rng.choice(["kk", "ru"]),
                    "subject": "Справка",
                },
                ensure_ascii=False,
            ).encode()
            idem = f"bench-{token}"
            tries = 2 if rng.random() < RETRY_SHARE else 1
            for attempt in range(tries):
                started = time.perf_counter()
                try:
                    _status, replayed = poster.post(body, idem)
                except (RuntimeError, OSError):
                    local["errors"] += 1
                    poster.conn.close()
                    continue
                mine.append(time.perf_counter() - started)
                local["sent"] += 1
                local["retried"] += attempt
                local["replayed"] += int(replayed)
        poster.conn.close()
        with lock:
            for name, value in local.items():
                counts[name] += value

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    merged = sorted(x for part in latencies for x in part)
    return {
        **counts,
        "wall": wall,
        "rps": len(merged) / wall,
        "p50": percentile(merged, 0.50) * 1000,
        "p99": percentile(merged, 0.99) * 1000,
    }


def drive_wrk(port: int, key: str, clients: int, seconds: int, seed: int) -> dict[str, Any]:
    """The same load from ``wrk`` (2 threads, ``clients`` keep-alive connections) for
    ``seconds`` (wrk runs for a duration, not a count)."""
    binary = shutil.which("wrk")
    if binary is None:
        raise RuntimeError("wrk is not installed: apt-get install wrk, or use --load python")
    threads = min(2, clients)
    run_id = uuid.uuid4().hex[:10]
    cmd = [binary, "-t", str(threads), "-c", str(clients), "-d", f"{seconds}s", "--timeout", "30s"]
    cmd += ["-s", str(LUA), f"http://127.0.0.1:{port}{PATH}", "--"]
    cmd += [str(10**9), run_id, key, str(RETRY_SHARE), str(seed)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 120)
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRK-RESULT ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    r = json.loads(line.split(" ", 1)[1])
    if r["first_failure"]:
        log(f"first non-2xx answer: {r['first_failure']}")
    return {
        "sent": r["answered"],
        "retried": r["retried"],
        "replayed": r["replayed"],
        "errors": r["failed"] + r["socket_errors"],
        "wall": r["seconds"],
        "rps": r["answered"] / r["seconds"],
        "p50": r["p50_us"] / 1000,
        "p99": r["p99_us"] / 1000,
    }


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of ``pids`` (gone processes count as 0)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _tree(root: int) -> list[int]:
    """``root`` and its descendants."""
    found = [root]
    for pid in found:
        children = Path(f"/proc/{pid}/task/{pid}/children")
        with contextlib.suppress(OSError):
            found.extend(int(c) for c in children.read_text().split())
    return found


def _postgres_cpu_seconds() -> float:
    """CPU seconds of every PostgreSQL process of this machine, ended ones included (their time
    is added to the postmaster's children's time when they exit): backends come and go as
    connections are recycled. 0 when PostgreSQL does not run here."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            stat = (entry / "stat").read_text()
            if not stat[stat.index("(") + 1 : stat.rindex(")")].startswith("postgres"):
                continue
            fields = stat.rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
            if fields[1] == "1":  # the postmaster (its parent is init): its reaped children too
                total += int(fields[13]) + int(fields[14])
    return total / tick


def _split(port: int) -> list[int]:
    """How many of the clients' connections each web worker process holds (the kernel hands
    them out unevenly; the busier worker's GIL then sets the pace)."""
    shown = subprocess.run(
        ["ss", "-tnpH", "state", "established", f"sport = :{port}"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    return list(collections.Counter(re.findall(r"pid=(\d+)", shown)).values())


def measured(
    port: int, key: str, args: argparse.Namespace, server_pid: int, database: str
) -> dict[str, Any]:
    """One measured run of wrk, with the CPU the web server and PostgreSQL (all of its
    processes: backends, WAL writer, checkpointer) spent on it."""
    web = _tree(server_pid)
    split: list[int] = []
    sampler = threading.Timer(min(3.0, args.seconds / 2), lambda: split.extend(_split(port)))
    sampler.start()
    before = (_cpu_seconds(web), _postgres_cpu_seconds())
    result = drive_wrk(port, key, args.clients, args.seconds, seed=random.randrange(10**6))
    after = (_cpu_seconds(web), _postgres_cpu_seconds())
    sampler.join()
    result["connections_per_worker"] = "/".join(map(str, sorted(split, reverse=True))) or "?"
    answered = max(1, result["sent"])
    result["web_cpu_ms"] = (after[0] - before[0]) * 1000 / answered
    result["pg_cpu_ms"] = (after[1] - before[1]) * 1000 / answered if database else None
    return result


def gunicorn(
    env: dict[str, str], port: int, workers: int, threads: int
) -> contextlib.AbstractContextManager[subprocess.Popen[bytes]]:
    cmd = [GUNICORN, "-c", str(ROOT / "config" / "gunicorn_conf.py"), "config.wsgi"]
    cmd += ["--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--threads", str(threads)]
    return server(cmd, env, port)


def granian(
    env: dict[str, str], port: int, workers: int, threads: int
) -> contextlib.AbstractContextManager[subprocess.Popen[bytes]]:
    """The production server (``config/serve.py``, ADR 0009), with the same worker counts."""
    served = {
        **env,
        "QOLDAU_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(workers),
        "QOLDAU_WEB_THREADS": str(threads),
    }
    return server([PYTHON, "-m", "config.serve"], served, port)


def app_run(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    clients, requests = args.clients, args.requests
    with backend(kind) as env:
        key = api_key(env)
        port = free_port()
        if args.server == "runserver":
            serving = runserver(env, port)
        elif args.server == "gunicorn":
            serving = gunicorn(env, port, args.workers, args.threads)
        else:
            serving = granian(env, port, args.workers, args.threads)
        database = env["DATABASE_URL"].rsplit("/", 1)[1] if kind == "postgres" else ""
        rounds: list[dict[str, Any]] = []
        with serving as process:
            log(f"{kind}: warm-up ({args.warmup} s)")
            if args.load == "wrk":
                # Twice: wrk's connections may all land on one worker, leaving the other cold.
                drive_wrk(port, key, clients, max(1, args.warmup // 2), seed=1)
                drive_wrk(port, key, clients, max(1, args.warmup - args.warmup // 2), seed=2)
                for number in range(args.rounds):
                    log(f"{kind}: round {number + 1}: {args.seconds} s over {clients} connections")
                    rounds.append(measured(port, key, args, process.pid, database))
            else:
                drive(port, key, clients, clients * 10, seed=1)
                log(f"{kind}: {requests} intakes over {clients} clients (http.client)")
                rounds.append(drive(port, key, clients, requests, seed=1414))
        result = dict(sorted(rounds, key=lambda r: r["rps"])[len(rounds) // 2])  # the median
        result["rounds"] = rounds
        count = json.loads(run([PYTHON, "-c", _COUNT], env, timeout=120).stdout.splitlines()[-1])
        result.update(count)
        result["duplicates"] = count["appeals"] - count["distinct"]
        if kind == "postgres":
            result["pgbench"] = pgbench(env["DATABASE_URL"].rsplit("/", 1)[1], clients)
            result["pgbench_intake"] = pgbench_intake(env, clients)
    return result


def pgbench(database: str, clients: int, seconds: int = 15) -> dict[str, float]:
    """pgbench inserting one appeal-shaped row per transaction into a scratch table."""
    with psycopg.connect(POSTGRES_DSN, dbname=database, autocommit=True) as conn:
        conn.execute(
            """CREATE TABLE bench_appeal (id bigserial PRIMARY KEY, number varchar(32) NOT NULL,
            channel varchar(12) NOT NULL, status varchar(16) NOT NULL, language varchar(2),
            applicant_name varchar(200), applicant_email varchar(254), subject varchar(300),
            content text NOT NULL, received_at timestamptz, registered_at timestamptz,
            due_at timestamptz)"""
        )
        conn.execute("CREATE INDEX ON bench_appeal (number)")
        conn.execute("CREATE INDEX ON bench_appeal (received_at)")
    script = Path(tempfile.gettempdir()) / f"bench_appeal_{os.getpid()}.sql"
    script.write_text(PGBENCH_SCRIPT)
    try:
        return _pgbench(database, clients, seconds, script)
    finally:
        script.unlink(missing_ok=True)


# The intake's own statements (bench.appeals.intake_peer): intakes per transaction, clients
# (None: the app's). One intake per transaction is the statements as they are; batches of the
# group committer's largest size are how the app sends them at most; with 2 clients such
# batches went fastest of 2 to 48 clients (2026-12-06: fewer waits for the audit chain's head).
INTAKE_PEERS = ((1, None), (64, None), (64, 2))


def pgbench_intake(env: dict[str, str], clients: int, seconds: int = 15) -> list[dict[str, Any]]:
    """pgbench running the intake's own two statements per transaction in the app's tables
    (``bench.appeals.intake_peer``), for each of ``INTAKE_PEERS``; then the audit chain is
    checked. Intakes per second are the transactions' rate times the batch."""
    database = env["DATABASE_URL"].rsplit("/", 1)[1]
    results: list[dict[str, Any]] = []
    scripts: dict[int, Path] = {}
    try:
        for batch, peer_clients in INTAKE_PEERS:
            if batch not in scripts:
                lane = len(scripts)
                scripts[batch] = Path(tempfile.gettempdir()) / f"bench_intake_{os.getpid()}_{lane}"
                cmd = [PYTHON, "-m", "bench.appeals.intake_peer", str(scripts[batch])]
                run([*cmd, str(batch), str(lane)], env, timeout=120)
            used = peer_clients or clients
            result: dict[str, Any] = _pgbench(database, used, seconds, scripts[batch])
            result.update(batch=batch, clients=used, intakes=result["tps"] * batch)
            results.append(result)
    finally:
        for script in scripts.values():
            script.unlink(missing_ok=True)
    verified = run([PYTHON, "manage.py", "audit", "verify"], env, timeout=600).stdout
    if "chain intact" not in verified:
        raise RuntimeError(f"the audit chain after the intake peer: {verified}")
    return results


def _pgbench(database: str, clients: int, seconds: int, script: Path) -> dict[str, float]:
    binary = shutil.which("pgbench") or "/usr/lib/postgresql/15/bin/pgbench"
    env = {**os.environ, "PGOPTIONS": "-c synchronous_commit=on"}
    cmd = [binary, "-n", "-h", "127.0.0.1", "-U", "postgres", "-c", str(clients), "-j", "2"]
    cmd += ["-T", str(seconds), "-r", "-f", str(script), database]
    log(" ".join(cmd))
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=seconds + 60)
    if done.returncode != 0:
        raise RuntimeError(done.stderr)
    if _number(r"number of failed transactions: (\d+)", done.stdout):
        raise RuntimeError(f"pgbench: transactions failed:\n{done.stdout}")
    return {
        "tps": _number(r"tps = ([\d.]+)", done.stdout),
        "latency_avg": _number(r"latency average = ([\d.]+) ms", done.stdout),
    }


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _number(pattern: str, text: str) -> float:
    found = re.search(pattern, text)
    if found is None:
        raise RuntimeError(f"pgbench printed no {pattern!r}:\n{text}")
    return float(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--clients", type=int, default=48)
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--server", choices=["granian", "gunicorn", "runserver"], default="granian")
    parser.add_argument("--workers", type=int, default=2, help="web worker processes")
    parser.add_argument(
        "--threads", type=int, default=32, help="Python threads per worker (≥ clients/workers)"
    )
    parser.add_argument("--load", choices=["wrk", "python"], default="wrk")
    parser.add_argument("--seconds", type=int, default=20, help="length of a wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="measured wrk runs per database")
    parser.add_argument("--warmup", type=int, default=6, help="seconds of wrk before measuring")
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    results = {"postgres": app_run("postgres", args)}
    if not args.no_sqlite:
        results["sqlite"] = app_run("sqlite", args)
    served = (
        "runserver"
        if args.server == "runserver"
        else f"{args.server} {args.workers}x{args.threads} threads"
    )
    rows: list[list[object]] = []
    pg = results["postgres"]["pgbench"]
    peers = results["postgres"]["pgbench_intake"]
    ceiling = max(peer["intakes"] for peer in peers)
    for kind, r in results.items():
        for number, rnd in enumerate(r["rounds"], start=1):
            rows.append(
                [
                    f"app: {served} + API key, {kind} ({args.load}), round {number}",
                    args.clients,
                    rnd["sent"],
                    rnd["retried"],
                    rnd["replayed"],
                    f"{rnd['rps']:.0f}",
                    f"{rnd['p50']:.1f}",
                    f"{rnd['p99']:.1f}",
                    _ms(rnd.get("web_cpu_ms")),
                    _ms(rnd.get("pg_cpu_ms")),
                    rnd.get("connections_per_worker", "—"),
                    rnd["errors"],
                    f"{rnd['rps'] / ceiling * 100:.0f}%" if kind == "postgres" else "—",
                    f"{rnd['rps'] / pg['tps'] * 100:.1f}%" if kind == "postgres" else "—",
                ]
            )
    for peer in peers:
        rows.append(
            [
                f"pgbench: the intake's own statements, {peer['batch']} per transaction",
                peer["clients"],
                "—",
                "—",
                "—",
                f"{peer['intakes']:.0f}",
                f"avg {peer['latency_avg']:.1f} (a transaction)",
                *["—"] * 5,
                f"{peer['intakes'] / ceiling * 100:.0f}%",
                "—",
            ]
        )
    rows.append(
        [
            "pgbench: INSERT of one appeal-shaped row",
            args.clients,
            "—",
            "—",
            "—",
            f"{pg['tps']:.0f}",
            f"avg {pg['latency_avg']:.1f}",
            *["—"] * 6,
            "100%",
        ]
    )
    headers = ["what", "clients", "requests", "retried", "replayed", "req/s", "p50 ms"]
    headers += ["p99 ms", "web CPU ms/req", "PostgreSQL CPU ms/req", "connections per worker"]
    headers += ["errors", "of pgbench (same inserts)", "of pgbench (one row)"]
    print(markdown(headers, rows) if args.markdown else json.dumps(results, indent=1))
    print(f"synchronous_commit (app's connection): {results['postgres']['synchronous_commit']}")
    print(
        f"the same inserts by pgbench, at most {ceiling:.0f} intakes/s: the app's median round "
        f"is {results['postgres']['rps'] / ceiling * 100:.0f}% of it "
        f"({results['postgres']['rps'] / pg['tps'] * 100:.1f}% of one-row inserts)"
    )
    for kind, r in results.items():
        print(
            f"{kind}: median round {r['rps']:.0f} intakes/s, p99 {r['p99']:.1f} ms; "
            f"{r['appeals']} appeals in all"
        )
        print(f"duplicate appeals, {kind}: {r['duplicates']}")
        print(
            f"{kind}: audit chain problems {r['audit_problems']}, acknowledgements queued "
            f"{r['acknowledgements']} for {r['appeals']} appeals"
        )
        assert r["duplicates"] == 0, f"{kind}: {r['duplicates']} duplicate appeals"
        assert r["audit_problems"] == 0, f"{kind}: the audit chain does not verify"
        assert r["acknowledgements"] == r["appeals"], f"{kind}: acknowledgements missing"


if __name__ == "__main__":
    main()
