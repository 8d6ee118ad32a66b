"""The allowed moves of a service's acceptance state (R7, R22; Rules p.19-23, p.26).

``service_set_acceptance`` in services.py is the only writer of the state and checks this table.
"""

from __future__ import annotations

from qoldau.registry.enums import AcceptanceStatus as S

ACCEPTANCE_TRANSITIONS: dict[str, frozenset[str]] = {
    # p.20: the state body sends the Annex 1 information.
    S.NOT_SUBMITTED: frozenset({S.SUBMITTED}),
    # p.21: training follows the submission; incomplete information is sent back.
    S.SUBMITTED: frozenset({S.TRAINING, S.NOT_SUBMITTED, S.WITHDRAWN}),
    # p.22: the protocol of acceptance is signed at the end of the training.
    S.TRAINING: frozenset({S.ACCEPTED, S.SUBMITTED, S.WITHDRAWN}),
    # p.23: consultation starts some working days after the protocol is signed.
    S.ACCEPTED: frozenset({S.CONSULTING, S.WITHDRAWN}),
    # p.26: a changed by-law may need the contact center's staff to be trained again.
    S.CONSULTING: frozenset({S.TRAINING, S.WITHDRAWN}),
    S.WITHDRAWN: frozenset({S.SUBMITTED}),
}

# States in which the Annex 1 information has been received by the contact center.
SUBMITTED_STATES = frozenset({S.SUBMITTED, S.TRAINING, S.ACCEPTED, S.CONSULTING})


def acceptance_can_move(current: str, target: str) -> bool:
    return target in ACCEPTANCE_TRANSITIONS.get(current, frozenset())
