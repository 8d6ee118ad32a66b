"""The one table of allowed status changes of a recording request: action → (from, to)."""

from __future__ import annotations

from typing import Final

from qoldau.recordings.enums import RequestStatus

# Requests the contact center still has to answer (the four-hour clock runs, p.14).
OPEN: Final = frozenset({RequestStatus.FILED, RequestStatus.LATE})
# Requests that keep their recordings from the retention purge.
HOLDING: Final = frozenset({RequestStatus.FILED, RequestStatus.LATE, RequestStatus.DELIVERED})

TRANSITIONS: Final[dict[str, tuple[frozenset[str], str]]] = {
    "flag_late": (frozenset({RequestStatus.FILED}), RequestStatus.LATE),
    "deliver": (OPEN, RequestStatus.DELIVERED),
    "answer_none": (OPEN, RequestStatus.NONE_FOUND),
    "expire": (frozenset({RequestStatus.DELIVERED}), RequestStatus.EXPIRED),
}


def transition_target(action: str, current: str) -> str | None:
    """The status ``action`` leads to from ``current``, or None where it is not allowed."""
    allowed = TRANSITIONS.get(action)
    if allowed is None or current not in allowed[0]:
        return None
    return allowed[1]


def actions_from(current: str) -> list[str]:
    return [action for action, (sources, _to) in TRANSITIONS.items() if current in sources]
