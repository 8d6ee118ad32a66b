from __future__ import annotations

from typing import Any

import pytest

from qoldau.core import events


def test_published_events_reach_each_subscriber_once() -> None:
    received: list[dict[str, Any]] = []

    def handler(**payload: Any) -> None:
        received.append(payload)

    events.subscribe("test.happened", handler)
    events.subscribe("test.happened", handler)
    try:
        events.publish("test.happened", service_ids=[1, 2])
        events.publish("test.other", service_ids=[3])
    finally:
        events._handlers.pop("test.happened", None)
    assert received == [{"service_ids": [1, 2]}]


def test_a_failing_handler_fails_the_publisher() -> None:
    def broken(**payload: Any) -> None:
        raise RuntimeError("handler failed")

    events.subscribe("test.broken", broken)
    try:
        with pytest.raises(RuntimeError):
            events.publish("test.broken")
    finally:
        events._handlers.pop("test.broken", None)
