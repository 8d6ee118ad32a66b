"""In-process domain events, so a lower layer can tell a higher one that something happened
without importing it (the registry announces a by-law change; the knowledge base flags articles).

Handlers run synchronously inside the publisher's transaction: if a handler fails, the use case
rolls back with it, so an event is never half-handled. Anything slow or external goes through the
outbox from the handler, never directly.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

Handler = Callable[..., None]

_handlers: dict[str, list[Handler]] = defaultdict(list)


def subscribe(event: str, handler: Handler) -> None:
    """Register ``handler`` for ``event`` (call from an AppConfig.ready()); idempotent."""
    if handler not in _handlers[event]:
        _handlers[event].append(handler)


def publish(event: str, **payload: Any) -> None:
    for handler in list(_handlers.get(event, ())):
        handler(**payload)


def subscribers(event: str) -> tuple[Handler, ...]:
    return tuple(_handlers.get(event, ()))
