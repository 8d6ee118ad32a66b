"""Shared parts of the routing benchmarks: the synthetic contact center (operators with
competences and languages), the open-loop call schedule, the event driver (a scheduler and worker
threads), a child process per database, and the Erlang C formula.

The router runs in-process in the child (``django.setup()`` on the throw-away database that
``bench.knowledge.common.backend`` creates and migrates), as ``qoldau router`` and the PBX
webhooks run it: each event is one durable transaction calling ``qoldau.routing.services``.
"""

from __future__ import annotations

import heapq
import json
import math
import queue
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bench.knowledge.common import PYTHON, backend, log, run

LANGUAGES = ("kk", "ru")
STEP1_TIMEOUT = 30  # seconds in the expert step before any operator with the language is asked
STEP1_LEVEL = 2  # lowest competence level of the expert step


@dataclass(frozen=True)
class OperatorSpec:
    number: int
    skills: dict[int, int]  # competence number → level 1-5
    languages: dict[str, int]  # "kk"/"ru" → level 3-5
    idle_seconds: float  # free for this long when the run starts


def operators(count: int, competences: int, seed: int = 1414) -> list[OperatorSpec]:
    """``count`` operators with 2-5 competences each at random levels; 55% speak kk and ru,
    30% ru only, 15% kk only."""
    rng = random.Random(seed)
    out: list[OperatorSpec] = []
    for n in range(count):
        skills = {s: rng.randint(1, 5) for s in rng.sample(range(competences), rng.randint(2, 5))}
        roll = rng.random()
        spoken = ["kk", "ru"] if roll < 0.55 else ["ru"] if roll < 0.85 else ["kk"]
        languages = {lang: rng.randint(3, 5) for lang in spoken}
        out.append(OperatorSpec(n, skills, languages, rng.uniform(0, 600)))
    return out


@dataclass(frozen=True)
class Call:
    number: int
    at: float  # seconds from the start of the run
    skill: int
    language: str
    ring: float  # seconds from the offer to the answer
    handle: float  # seconds from the answer to the end

    @property
    def ref(self) -> str:
        return f"call-{self.number:07d}"


def calls(
    rate: float, seconds: float, competences: int, handle_mean: float, seed: int = 1414
) -> list[Call]:
    """Poisson arrivals at ``rate`` a second; competences by a mild Zipf law (a few services are
    asked about much more than the rest), 45% kk; handle times log-normal (σ=0.6) with mean
    ``handle_mean``; the phone rings 0.5-2 s before the operator answers."""
    rng = random.Random(seed)
    weights = [1 / (rank + 5) for rank in range(competences)]
    sigma = 0.6
    mu = math.log(handle_mean) - sigma * sigma / 2
    out: list[Call] = []
    t = 0.0
    while True:
        t += rng.expovariate(rate)
        if t >= seconds:
            return out
        skill = rng.choices(range(competences), weights)[0]
        language = "kk" if rng.random() < 0.45 else "ru"
        out.append(
            Call(
                len(out),
                t,
                skill,
                language,
                rng.uniform(0.5, 2.0),
                rng.lognormvariate(mu, sigma),
            )
        )


# --- the driver -------------------------------------------------------------------------------

Handler = Callable[[str, Any, float], None]


@dataclass(order=True)
class _Event:
    at: float
    seq: int
    kind: str = field(compare=False)
    payload: Any = field(compare=False)


class Driver:
    """Open loop: each event is handed to a worker at its scheduled time (perf_counter seconds),
    whether or not the workers keep up; handlers schedule follow-up events."""

    def __init__(self, handler: Handler, workers: int) -> None:
        self.handler = handler
        self.workers = workers
        self._heap: list[_Event] = []
        self._seq = 0
        self._cond = threading.Condition()
        self._work: queue.Queue[_Event | None] = queue.Queue()
        self._stop_at = math.inf
        self.errors: list[str] = []
        self.dropped = 0  # events still queued when the grace period after the run ended
        self._deadline = math.inf
        self.lag: list[float] = []  # how late the scheduler handed events over (s)
        self.start_lag: list[float] = []  # how late a worker began an event (s)

    def schedule(self, at: float, kind: str, payload: Any = None) -> None:
        with self._cond:
            self._seq += 1
            heapq.heappush(self._heap, _Event(at, self._seq, kind, payload))
            self._cond.notify()

    def _worker(self, init: Callable[[], None] | None) -> None:
        if init is not None:
            init()
        while True:
            event = self._work.get()
            if event is None:
                return
            if time.monotonic() > self._deadline:
                self.dropped += 1
                continue
            self.start_lag.append(time.monotonic() - event.at)
            try:
                self.handler(event.kind, event.payload, event.at)
            except Exception as error:  # counted and reported; the run goes on
                self.errors.append(f"{event.kind}: {type(error).__name__}: {error}")

    def run(
        self,
        until: float,
        init: Callable[[], None] | None = None,
        done: Callable[[], None] | None = None,
        grace: float = 30.0,
    ) -> None:
        """Hand over events scheduled before ``until``; then wait for the workers to finish the
        backlog, dropping (and counting) what is still queued ``grace`` seconds later."""
        self._deadline = until + grace
        threads = [
            threading.Thread(target=self._worker, args=(init,), daemon=True)
            for _ in range(self.workers)
        ]
        for thread in threads:
            thread.start()
        while True:
            event: _Event | None
            with self._cond:
                while True:
                    now = time.monotonic()
                    if self._heap and self._heap[0].at <= now:
                        event = heapq.heappop(self._heap)
                        break
                    wait = (self._heap[0].at - now) if self._heap else 0.05
                    if now >= until:
                        event = None
                        break
                    self._cond.wait(timeout=min(wait, 0.05))
            if event is None:
                break
            if event.at >= until:
                continue
            self.lag.append(time.monotonic() - event.at)
            self._work.put(event)
        for _ in threads:
            self._work.put(None)
        for thread in threads:
            thread.join()
        if done is not None:
            done()


# --- child processes --------------------------------------------------------------------------


def child(module: str, kind: str, args: Sequence[str], timeout: float = 3600) -> dict[str, Any]:
    """Run ``python -m module --child KIND args`` on a fresh database; its last line is JSON."""
    with backend(kind) as env:
        log(f"{module} on {kind}")
        done = run([PYTHON, "-m", module, "--child", kind, *args], env, timeout=timeout)
        result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        return result


def percentiles(values: Sequence[float]) -> dict[str, float]:
    """p50/p99/p99.9 and max of latencies in seconds, as milliseconds (nearest rank)."""
    ordered = sorted(values)
    if not ordered:
        return {"n": 0, "p50": math.nan, "p99": math.nan, "p999": math.nan, "max": math.nan}

    def at(share: float) -> float:
        return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))] * 1000

    return {
        "n": len(ordered),
        "p50": at(0.50),
        "p99": at(0.99),
        "p999": at(0.999),
        "max": ordered[-1] * 1000,
    }


# --- Erlang C ---------------------------------------------------------------------------------


def erlang_c(servers: int, load: float) -> float:
    """P(wait) of M/M/N with offered load ``load`` erlangs (load < servers)."""
    if not 0 < load < servers:
        raise ValueError("Erlang C needs 0 < A < N")
    term = 1.0  # A^k / k!
    total = 1.0
    for k in range(1, servers):
        term *= load / k
        total += term
    top = term * load / servers * servers / (servers - load)  # A^N/N! · N/(N-A)
    return top / (total + top)


def erlang_asa(servers: int, load: float, aht: float) -> float:
    return erlang_c(servers, load) * aht / (servers - load)
