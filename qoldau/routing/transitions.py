"""The one table of allowed presence changes of an operator: who may move from what to what.

``person`` moves are the operator's own (or a supervisor's); ``system`` moves are made by the
router as calls start and end. A call in work (on_call) ends only through the router.
"""

from __future__ import annotations

from typing import Final

from qoldau.routing.enums import Presence

PERSON: Final[dict[str, frozenset[str]]] = {
    Presence.OFFLINE: frozenset({Presence.AVAILABLE, Presence.BREAK}),
    Presence.AVAILABLE: frozenset({Presence.BREAK, Presence.OFFLINE}),
    Presence.BREAK: frozenset({Presence.AVAILABLE, Presence.OFFLINE}),
    Presence.WRAP_UP: frozenset({Presence.AVAILABLE, Presence.BREAK, Presence.OFFLINE}),
    Presence.ON_CALL: frozenset(),
}
SYSTEM: Final[dict[str, frozenset[str]]] = {
    Presence.OFFLINE: frozenset({Presence.ON_CALL}),
    Presence.AVAILABLE: frozenset({Presence.ON_CALL, Presence.BREAK}),
    Presence.BREAK: frozenset({Presence.ON_CALL}),
    Presence.WRAP_UP: frozenset({Presence.AVAILABLE, Presence.ON_CALL}),
    Presence.ON_CALL: frozenset({Presence.WRAP_UP, Presence.AVAILABLE}),
}


def presence_allowed(before: str, after: str, *, by_system: bool = False) -> bool:
    table = SYSTEM if by_system else PERSON
    return before == after or after in table.get(before, frozenset())
