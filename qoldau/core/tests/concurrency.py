"""Run test code in threads released at the same moment, each on its own database connection
(on PostgreSQL: SQLite serialises writers anyway)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connections


def run_together(jobs: Sequence[Callable[[], Any]], timeout: float = 60.0) -> list[Any]:
    """Each job's result, or the exception it raised, in the order of ``jobs``."""
    barrier = threading.Barrier(len(jobs))
    outcomes: list[Any] = [None] * len(jobs)

    def run(index: int) -> None:
        try:
            barrier.wait()
            outcomes[index] = jobs[index]()
        except BaseException as exc:
            outcomes[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    return outcomes
