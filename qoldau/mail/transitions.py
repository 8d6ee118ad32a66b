"""The allowed moves of an inbound message (R9). The services are the only writers of the status
and check this table; each step is idempotent, so a crash repeats nothing that completed."""

from __future__ import annotations

from qoldau.mail.enums import InboundStatus as S

INBOUND_TRANSITIONS: dict[str, frozenset[str]] = {
    # mail_process: parsed and handed to the appeals app in one transaction.
    S.STORED: frozenset({S.PROCESSED}),
    # mail_acknowledge_on_server: \Seen set or moved on the server, only after processing.
    S.PROCESSED: frozenset({S.ACKNOWLEDGED}),
    S.ACKNOWLEDGED: frozenset(),
}


def inbound_can_move(current: str, target: str) -> bool:
    return target in INBOUND_TRANSITIONS.get(current, frozenset())
