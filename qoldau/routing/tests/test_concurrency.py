"""Never twice, with real concurrency on PostgreSQL: many processes' worth of threads submit
calls, finish them and tick the router at once; no task ever has two open reservations, no
operator two calls, and the busy counters match the reservations."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.db.models import Count, Q

from qoldau.core.tests.concurrency import run_together
from qoldau.routing import services
from qoldau.routing.enums import ReservationState
from qoldau.routing.models import Operator, Reservation
from qoldau.routing.tests.factories import make_operator, make_queue

OPEN = Q(state__in=[ReservationState.PENDING, ReservationState.ACCEPTED])


def _threads(jobs: list[Callable[[], object]]) -> list[BaseException]:
    return [o for o in run_together(jobs) if isinstance(o, BaseException)]


def _assert_never_twice() -> None:
    twice = Reservation.objects.filter(OPEN).values("task").annotate(n=Count("id")).filter(n__gt=1)
    assert not twice.exists()
    two_calls = (
        Reservation.objects.filter(OPEN, channel="voice")
        .values("operator")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    assert not two_calls.exists()
    for operator in Operator.objects.all():
        held = Reservation.objects.filter(OPEN, operator=operator, channel="voice").count()
        assert operator.voice_busy == held, operator


@pytest.mark.django_db(transaction=True)
def test_concurrent_calls_ticks_and_ends_never_double_assign() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("threads need a server database; SQLite serialises writers anyway")
    make_queue("all", steps=[{"skill_mode": "any", "members_only": False}])
    operators = [make_operator(languages={"kk": 5, "ru": 5}) for _ in range(10)]

    def submit(n: int) -> Callable[[], None]:
        def job() -> None:
            for k in range(6):
                services.task_submit(
                    channel="voice", ref=f"t{n}-{k}", attributes={"language": "kk"}
                )
                services.routing_tick()

        return job

    errors = _threads([submit(n) for n in range(8)])
    assert errors == []
    _assert_never_twice()
    assert Reservation.objects.filter(OPEN).count() == len(operators)

    refs = list(Reservation.objects.filter(OPEN).values_list("task__ref", flat=True))

    def finish(part: list[str]) -> Callable[[], None]:
        def job() -> None:
            for ref in part:
                services.task_finish(channel="voice", ref=ref)
                services.routing_tick()

        return job

    errors = _threads([finish(refs[i::4]) for i in range(4)] + [services.routing_tick] * 2)
    assert errors == []
    _assert_never_twice()
    # Every freed operator was offered another waiting call at once.
    assert Reservation.objects.filter(OPEN).count() == len(operators)
