"""``writer_turn``: one holder at a time per SQLite file; nothing for other databases."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from qoldau.core import writer_turn as module


def test_a_second_holder_waits_for_the_first(tmp_path: Path, monkeypatch: Any) -> None:
    if not module.supported():
        pytest.skip("no fcntl on this system")
    monkeypatch.setattr(module, "_lock_path", lambda: tmp_path / "db.sqlite3.writer-lock")
    order: list[str] = []
    inside = threading.Event()
    release = threading.Event()

    def first() -> None:
        with module.writer_turn():
            order.append("first in")
            inside.set()
            release.wait(5)
            order.append("first out")

    thread = threading.Thread(target=first)
    thread.start()
    inside.wait(5)
    second = threading.Thread(target=lambda: _second(order))
    second.start()
    second.join(0.2)
    assert second.is_alive()  # still waiting for its turn
    release.set()
    thread.join(5)
    second.join(5)
    assert order == ["first in", "first out", "second in"]


def _second(order: list[str]) -> None:
    with module.writer_turn():
        order.append("second in")


@pytest.mark.django_db
def test_without_a_database_file_it_holds_nothing() -> None:
    # The tests' SQLite is in memory (PostgreSQL has no file either): no lock is taken.
    assert module._lock_path() is None
    with module.writer_turn():
        pass
