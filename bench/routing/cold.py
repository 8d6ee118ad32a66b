"""What a new database connection costs the router (ADR 0012): the same events one after
another on one thread, first on a connection opened just before them, then on a connection
that has already run them, then on that connection after a savepoint was rolled back on it; for
each, how long an event took by its position since.

On PostgreSQL psycopg prepares a statement after it has run ``DATABASE_PREPARE_THRESHOLD``
times on a connection, and PostgreSQL plans a prepared statement afresh for its first five
runs before it settles on a generic plan, so the first events on a connection pay for planning
the router's statements. ``bench.routing.latency`` runs it in its child after the timed run.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from bench.routing.common import Call, percentiles

# The states of a connection measured, in the order they are measured on it.
STATES = {
    "new": "new connection",
    "kept": "kept connection",
    "savepoint": "after a rolled-back savepoint",
}
# Positions of an event on its connection, as reported: the first, the 2nd-5th, 6th-10th, …
BANDS = ((1, 1), (2, 5), (6, 10), (11, 15), (16, 30))


def measure(calls: Sequence[Call], rounds: int, per_connection: int) -> dict[str, Any]:
    """``rounds`` times: a new connection, then ``per_connection`` calls on it (each arrives, is
    answered by the operator offered it and ends), then the same number again on the kept
    connection, then a savepoint rolled back and the same number again. Latencies in ms by
    position, for each kind of event. Needs ``django.setup()``."""
    from django.db import connection, transaction

    from bench.routing import ours
    from qoldau.routing import services
    from qoldau.routing.models import Operator

    offers = ours.Offers()
    spent: dict[str, dict[str, list[list[float]]]] = {
        state: {kind: [[] for _ in BANDS] for kind in ("arrive", "answer", "end")}
        for state in STATES
    }

    def timed(state: str, kind: str, position: int, run: Any) -> None:
        began = time.perf_counter()
        with transaction.atomic(durable=True):
            run()
        took = time.perf_counter() - began
        for band, (low, high) in enumerate(BANDS):
            if low <= position <= high:
                spent[state][kind][band].append(took)

    queue = iter(calls)
    for _round in range(rounds):
        connection.close()
        for state in STATES:
            if state == "savepoint":
                _roll_back_a_savepoint()
            for position in range(1, per_connection + 1):
                call = next(queue)
                ref = f"cold-{call.number:07d}"
                attributes = {"language": call.language, "skill": f"s{call.skill:03d}"}
                offers.start()
                try:
                    timed(
                        state,
                        "arrive",
                        position,
                        lambda ref=ref, attributes=attributes: services.task_submit(
                            channel="voice", ref=ref, attributes=attributes
                        ),
                    )
                finally:
                    made = offers.take()
                for offered_ref, operator_id in made:
                    timed(
                        state,
                        "answer",
                        position,
                        lambda r=offered_ref, o=operator_id: services.task_assign(
                            channel="voice", ref=r, operator=Operator(pk=o)
                        ),
                    )
                offers.start()
                try:
                    timed(
                        state,
                        "end",
                        position,
                        lambda ref=ref: services.task_finish(channel="voice", ref=ref),
                    )
                finally:
                    offers.take()
    return {
        state: {
            kind: [
                {"from": low, "to": high, **percentiles(values)}
                for (low, high), values in zip(BANDS, bands, strict=True)
            ]
            for kind, bands in kinds.items()
        }
        for state, kinds in spent.items()
    }


def _roll_back_a_savepoint() -> None:
    """What a duplicate webhook or a ``get_or_create`` race does: a nested ``atomic`` that a
    unique index refuses, inside a transaction that commits."""
    from django.db import IntegrityError, transaction

    from qoldau.routing.models import Skill

    taken = Skill.objects.values_list("code", flat=True).first() or "s000"
    with transaction.atomic(durable=True):
        try:
            with transaction.atomic():
                Skill.objects.create(code=taken, name_kk="-", name_ru="-")
        except IntegrityError:
            pass


def rows(result: dict[str, Any]) -> list[list[object]]:
    """Markdown rows: one per connection state and kind of event, p50 ms per position band."""
    out: list[list[object]] = []
    for state, label in STATES.items():
        for kind in ("arrive", "answer", "end"):
            cells: list[object] = [label, kind]
            for band in result[state][kind]:
                cells.append(f"{band['p50']:.2f}" if band["n"] else "—")
            out.append(cells)
    return out


def headers() -> list[str]:
    return ["connection", "event"] + [
        f"{low}{'' if low == high else f'-{high}'}" for low, high in BANDS
    ]
