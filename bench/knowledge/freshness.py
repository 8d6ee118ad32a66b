"""Freshness across web processes (R6): two ``qoldau runserver --noreload`` processes (A and B)
on the same database, SQLite and PostgreSQL. Each trial publishes a new article whose title and
text carry a unique new word, with ``qoldau kb import`` of a one-line file in a separate
subprocess (the real write path: the import commits the versions and their ``IndexChange`` row
in one transaction), while a poller searches that word over HTTP (API key, keep-alive) on B and
on A, one request after another with a 10 ms pause, until the new article is found.

Reported: the time from the import's summary line (it prints it once its transaction has
committed; the bench reads it from a pipe as it comes) to the first search that finds the
article on each process (negative: found before the line arrived) — the
publication-to-searchable delay the goal is about (≤ 1 s) — and, for context, the import
subprocess's own wall time (Python and Django start-up included).

    .venv/bin/python -m bench.knowledge.freshness [--trials 20] [--articles 1000] [--quick]
        [--no-postgres]
"""

from __future__ import annotations

import argparse
import json
import random
import string
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from bench.knowledge import common

POLL_PAUSE = 0.010
TRIAL_TIMEOUT = 60.0


@dataclass(frozen=True)
class Sighting:
    """When a web process first found the new article, in seconds."""

    after_commit: float  # after the import's summary line (negative: before it)
    after_start: float  # after the import subprocess started


@dataclass(frozen=True)
class Trial:
    """One publication: the import's timings, and per web process its sighting (None: not found)."""

    imported: float  # import subprocess wall time
    committed: float  # summary line, after the subprocess started
    sightings: dict[str, Sighting | None]

    def as_dict(self) -> dict[str, float | None]:
        """The trial as logged: ``import``, ``commit``, then ``NAME`` and ``NAME-from-start``."""
        result: dict[str, float | None] = {"import": self.imported, "commit": self.committed}
        for name, sighting in self.sightings.items():
            result[name] = sighting.after_commit if sighting is not None else None
            result[name + "-from-start"] = sighting.after_start if sighting is not None else None
        return result


def _poll(
    port: int,
    key: str,
    word: str,
    external_id: str,
    stop: threading.Event,
    seen: dict[str, float | str],  # NAME: perf_counter() when found; NAME-error: repr of an error
    name: str,
) -> None:
    client = common.Client(port, key=key, timeout=30)
    try:
        while not stop.is_set():
            hits = client.search(word, "ru", 10)
            if any(hit["external_id"] == external_id for hit in hits):
                seen[name] = time.perf_counter()
                return
            time.sleep(POLL_PAUSE)
    except Exception as error:
        seen[name + "-error"] = repr(error)
    finally:
        client.close()


def trial(
    number: int,
    env: dict[str, str],
    ports: dict[str, int],
    key: str,
    tmp: Path,
    rng: random.Random,
) -> Trial:
    word = "svezh" + "".join(rng.choice(string.ascii_lowercase) for _ in range(10))
    external_id = f"fresh-{number}-{word}"
    line: common.ImportRow = {
        "external_id": external_id,
        "kind": "how_to",
        "language": "ru",
        "title": f"Новая статья {word}",
        "body": f"<p>Новое слово {word} в тексте.</p>",
        "keywords": [word],
        "service_code": None,
        "published": True,
    }
    path = common.write_jsonl([line], tmp / f"fresh-{number}.jsonl")
    stop = threading.Event()
    seen: dict[str, float | str] = {}
    pollers = [
        threading.Thread(
            target=_poll, args=(port, key, word, external_id, stop, seen, name), daemon=True
        )
        for name, port in ports.items()
    ]
    for poller in pollers:
        poller.start()
    started = time.perf_counter()
    try:
        proc = subprocess.Popen(
            [common.QOLDAU, "kb", "import", str(path)],
            env=env,
            cwd=common.ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            if proc.stdout is None:  # never: stdout=PIPE
                raise RuntimeError("the import subprocess has no stdout pipe")
            summary = proc.stdout.readline()  # printed once the import has committed
            committed = time.perf_counter()
            proc.communicate(timeout=120)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        exited = time.perf_counter()
        if proc.returncode != 0 or " lines in " not in summary:
            raise RuntimeError(f"import failed: {summary!r}")
        deadline = exited + TRIAL_TIMEOUT
        while any(p.is_alive() for p in pollers) and time.perf_counter() < deadline:
            time.sleep(0.01)
    finally:
        stop.set()
        for poller in pollers:
            poller.join(timeout=35)
    sightings: dict[str, Sighting | None] = {}
    for name in ports:
        found = seen.get(name)
        if isinstance(found, float):  # only errors are strings, under NAME-error
            sightings[name] = Sighting(after_commit=found - committed, after_start=found - started)
        else:
            sightings[name] = None
    return Trial(imported=exited - started, committed=committed - started, sightings=sightings)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--articles", type=int, default=1000, help="background corpus × kk/ru")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--quick", action="store_true", help="5 trials, 200 articles")
    args = parser.parse_args()
    trials, articles = (5, 200) if args.quick else (args.trials, args.articles)
    rng = random.Random(20261122)
    backends = ["sqlite"] if args.no_postgres else ["sqlite", "postgres"]
    table: list[list[str | int]] = []
    for kind in backends:
        with (
            tempfile.TemporaryDirectory(prefix="qoldau-kb-bench-") as tmp,
            common.backend(kind) as env,
        ):
            corpus = common.write_jsonl(common.synthetic_rows(articles), Path(tmp) / "kb.jsonl")
            common.run([common.QOLDAU, "kb", "import", str(corpus)], env, timeout=600)
            key = common.api_key(env)
            port_a, port_b = common.free_port(), common.free_port()
            while port_b == port_a:
                port_b = common.free_port()
            with common.runserver(env, port_a), common.runserver(env, port_b):
                for port in (port_a, port_b):  # warm both indexes
                    client = common.Client(port, key=key)
                    client.search("ЭЦҚ", "kk")
                    client.close()
                results: list[Trial] = []
                for number in range(trials):
                    results.append(
                        trial(number, env, {"A": port_a, "B": port_b}, key, Path(tmp), rng)
                    )
                    common.log(f"{kind} trial {number}: {json.dumps(results[-1].as_dict())}")
        for name in ("B", "A"):
            found = [s for r in results if (s := r.sightings[name]) is not None]
            lags = sorted(s.after_commit for s in found)
            missing = sum(r.sightings[name] is None for r in results)
            imports = sorted(r.imported for r in results)
            from_start = sorted(s.after_start for s in found)
            table.append(
                [
                    kind,
                    f"{name} ({'other' if name == 'B' else 'first'} web process)",
                    len(results),
                    f"{common.percentile(lags, 0.5) * 1000:.0f}" if lags else "—",
                    f"{max(lags) * 1000:.0f}" if lags else "—",
                    f"{sum(lag <= 1.0 for lag in lags)}/{len(results)}",
                    f"{common.percentile(imports, 0.5):.2f}",
                    f"{common.percentile(from_start, 0.5):.2f}" if from_start else "—",
                    missing,
                ]
            )
    print(
        f"\n#### Publication to searchable, two web processes, {articles * 2:,} versions "
        f"already indexed, {trials} trials each\n"
    )
    print(
        common.markdown(
            [
                "database",
                "searched on",
                "trials",
                "after commit p50 ms",
                "after commit max ms",
                "≤ 1 s",
                "import subprocess p50 s",
                "after import start p50 s",
                "not found",
            ],
            table,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
