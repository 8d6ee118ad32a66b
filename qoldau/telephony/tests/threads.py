"""Run a callable in a thread of its own: the session's Playwright fixture keeps an event loop
running in the main test thread, where ``asyncio.run`` would refuse to start."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


def in_fresh_thread(function: Callable[[], Any], timeout: float = 60.0) -> Any:
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = function()
        except BaseException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise TimeoutError("the code under test did not finish")
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")
