"""The one table of allowed status changes of an appeal: action → (from statuses, to status)."""

from __future__ import annotations

from typing import Final

from qoldau.appeals.enums import Status

OPEN: Final = frozenset({Status.REGISTERED, Status.IN_PROGRESS, Status.TRANSFERRED})
HANDLED: Final = frozenset({Status.ANSWERED, Status.REFERRED, Status.FORWARDED})
# Statuses whose reply deadline still runs (R32): the applicant waits for an answer.
AWAITING_REPLY: Final = OPEN

TRANSITIONS: Final[dict[str, tuple[frozenset[str], str]]] = {
    "take": (frozenset({Status.REGISTERED, Status.TRANSFERRED}), Status.IN_PROGRESS),
    "answer": (OPEN, Status.ANSWERED),
    "refer": (OPEN, Status.REFERRED),
    "forward": (OPEN, Status.FORWARDED),
    "transfer": (OPEN, Status.TRANSFERRED),
    "close": (OPEN | HANDLED, Status.CLOSED),
    "reopen": (HANDLED | {Status.CLOSED}, Status.IN_PROGRESS),
    "merge": (OPEN | HANDLED, Status.MERGED),
}


def transition_target(action: str, current: str) -> str | None:
    """The status ``action`` leads to from ``current``, or None where it is not allowed."""
    allowed = TRANSITIONS.get(action)
    if allowed is None or current not in allowed[0]:
        return None
    return allowed[1]


def actions_from(current: str) -> list[str]:
    return [action for action, (sources, _to) in TRANSITIONS.items() if current in sources]
