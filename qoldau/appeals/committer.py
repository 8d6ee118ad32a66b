"""The group committer of the API intake (ADR 0007, ADR 0011): threads of a web process that
register whatever intakes are waiting, as one batch each.

A request thread hands the committer a *job*: ``prepare`` — what turns the request into an
intake (reading it, checking it), run in the committer's thread — and ``finish`` — what makes
the answer of its outcome, run there too. The request thread only waits. So nearly all of an
intake's Python runs in the committer, one thread, instead of being spread over the dozens of
request threads a web process needs to keep that many durable intakes in flight: those threads
fought the committer for the GIL, and it waited for it after every database round trip.

No timer: while one batch is written the next gathers, so an idle server answers at once and a
busy one batches more. With two threads (PostgreSQL) one gathers, prepares, claims and builds
— one thread at a time holds this *turn* — while the other writes and commits, so neither the
round trips nor the commit's wait leave the process idle. SQLite lets one writer in at a time
anyway: one thread.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from django.db import close_old_connections, connection

Request = TypeVar("Request")
Register = Callable[[Sequence[Any], Callable[[], None]], list[Any]]


class _Job:
    __slots__ = ("done", "finish", "prepare", "result")

    def __init__(self, prepare: Callable[[], Any], finish: Callable[[Any], Any]) -> None:
        self.prepare = prepare
        self.finish = finish
        self.done = threading.Event()
        self.result: Any = None


class _Failed:
    """A job's prepare or finish raised: the request thread raises it again."""

    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error


class GroupCommitter(Generic[Request]):
    """Threads that run jobs and register the requests their ``prepare`` gives, as batches."""

    def __init__(
        self,
        *,
        register: Register,
        kind: type[Request],
        max_batch: int,
        threads: int = 1,
    ) -> None:
        self.register = register
        self.kind = kind
        self.max_batch = max(1, max_batch)
        self.pid = os.getpid()
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._turn = threading.Lock()
        self._counting = threading.Lock()
        self.batches = 0
        self.registered = 0
        self._checked = 0.0
        self._threads = [
            threading.Thread(target=self._run, name=f"appeals-intake-{n}", daemon=True)
            for n in range(max(1, threads))
        ]
        for thread in self._threads:
            thread.start()

    def run(
        self, prepare: Callable[[], Any], finish: Callable[[Any], Any], *, timeout: float
    ) -> Any:
        """``prepare()`` in a committer thread; if it gives a ``Request``, register it with the
        next batch and return ``finish(outcome)`` (a result or an exception object); anything
        else ``prepare`` gives is returned as it is. Raises what either raised."""
        job = _Job(prepare, finish)
        self._queue.put(job)
        if not job.done.wait(timeout):
            raise TimeoutError("the appeals intake did not answer in time")
        if isinstance(job.result, _Failed):
            raise job.result.error
        return job.result

    def stop(self) -> None:
        for _thread in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join(timeout=30)

    def _gather(self) -> list[_Job] | None:
        """The next jobs (waits for the first); None to stop. Under the turn."""
        while True:
            try:
                first = self._queue.get(timeout=5)
                break
            except queue.Empty:
                connection.close()  # idle: give the connection back
        if first is None:
            return None
        jobs = [first]
        while len(jobs) < self.max_batch:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                break
            if job is None:
                self._queue.put(None)  # another thread's, or this one's next, signal to stop
                break
            jobs.append(job)
        return jobs

    def _run(self) -> None:
        while True:
            self._turn.acquire()
            released = False

            def release() -> None:
                nonlocal released
                if not released:
                    released = True
                    self._turn.release()

            try:
                jobs = self._gather()
                if jobs is None:
                    break
                self._batch(jobs, release)
            finally:
                release()
        connection.close()

    def _batch(self, jobs: list[_Job], release: Callable[[], None]) -> None:
        # What request_started does for a request thread, at most every few seconds here
        # (each time costs a reconnect on SQLite, a health-check query on PostgreSQL).
        if time.monotonic() - self._checked > 5:
            close_old_connections()
            self._checked = time.monotonic()
        waiting: list[tuple[_Job, Any]] = []
        for job in jobs:
            try:
                prepared = job.prepare()
            except Exception as exc:
                _answer(job, _Failed(exc))
                continue
            if isinstance(prepared, self.kind):
                waiting.append((job, prepared))
            else:
                _answer(job, prepared)  # answered at once: refused, declined, replayed
        if not waiting:
            return
        try:
            outcomes = self.register([request for _job, request in waiting], release)
        except Exception as exc:  # the database is gone: every request hears it
            outcomes = [exc] * len(waiting)
            connection.close()
        release()
        with self._counting:
            self.batches += 1
            self.registered += len(waiting)
        for (job, _request), outcome in zip(waiting, outcomes, strict=True):
            try:
                _answer(job, job.finish(outcome))
            except Exception as exc:
                _answer(job, _Failed(exc))


def _answer(job: _Job, result: Any) -> None:
    job.result = result
    job.done.set()
