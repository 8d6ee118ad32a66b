"""``writer_turn``: processes writing one SQLite file take turns through a file lock.

SQLite lets one writer in at a time; the others poll (the busy handler sleeps 1, 2, 5 … up
to 100 ms between tries), so with two web processes each group commit of the API intake
waited tens of milliseconds for the other's, and the slowest waited seconds. An exclusive
``flock`` on a file beside the database queues them in the kernel instead: the next writer
wakes the moment the lock is free. Other writers (forms, workers) still use SQLite's own
busy wait and are not affected. PostgreSQL, or a system without ``fcntl``: nothing.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from django.db import connection

try:
    import fcntl
except ImportError:  # Windows: SQLite's busy wait alone
    fcntl = None  # type: ignore[assignment]


def supported() -> bool:
    """Whether this system can take file locks (POSIX)."""
    return fcntl is not None


def _lock_path() -> Path | None:
    if connection.in_atomic_block:
        # Inside a transaction this connection may hold SQLite's lock already; waiting for
        # the turn then could wait on a process that waits on us. SQLite's busy wait alone.
        return None
    name = str(connection.settings_dict.get("NAME") or "")
    if connection.vendor != "sqlite" or not name or name == ":memory:" or "mode=memory" in name:
        return None
    return Path(f"{name}.writer-lock")


@contextlib.contextmanager
def writer_turn() -> Iterator[None]:
    """Hold the database's writer turn (SQLite files only) for the enclosed transaction."""
    path = _lock_path() if fcntl is not None else None
    if path is None:
        yield
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock
