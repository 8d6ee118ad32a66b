"""The traffic simulator drives the real router and ingest, as the demo does."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import pytest
import time_machine
from django.test import override_settings

from qoldau.accounts.enums import Role
from qoldau.registry.tests.factories import make_user
from qoldau.routing.enums import ReservationState
from qoldau.routing.models import Reservation
from qoldau.routing.services import routing_tick
from qoldau.routing.tests.factories import make_operator, make_queue
from qoldau.telephony.adapters.simulator import Simulator, SimulatorConfig
from qoldau.telephony.models import CallRecord
from qoldau.telephony.services import call_event_ingest

pytestmark = pytest.mark.django_db
START = dt.datetime(2026, 12, 3, 5, 0, tzinfo=dt.UTC)  # 10:00 in Almaty: the morning peak


@override_settings(TELEPHONY_CONTROL="simulator", ROUTING_WRAP_UP_SECONDS=5)
def test_simulated_calls_are_answered_rated_and_recorded(tmp_path: Path) -> None:
    make_queue("kk", match='language == "kk"', steps=[{"skill_mode": "any", "members_only": False}])
    make_queue("ru", match='language == "ru"', steps=[{"skill_mode": "any", "members_only": False}])
    for n in range(4):
        user = make_user(organisation=None, roles=[Role.OPERATOR])
        user.username = f"bot.{n}"
        user.save(update_fields=["username"])
        make_operator(user=user, languages={"kk": 5, "ru": 5})
    config = SimulatorConfig(
        peak_per_hour=90, handle_mean=60, patience_mean=300, recordings_dir=tmp_path
    )
    simulator = Simulator(config=config, sink=call_event_ingest, seed=1414)

    with time_machine.travel(START, tick=False) as traveller:
        for _second in range(20 * 60):
            simulator.step()
            routing_tick()
            traveller.shift(1)

    calls = CallRecord.objects.all()
    answered = calls.filter(answered_at__isnull=False)
    assert calls.count() >= 10
    assert answered.count() >= calls.count() - 3
    assert all(c.wait_seconds is not None and c.wait_seconds >= 0 for c in answered)
    assert set(answered.values_list("language", flat=True)) <= {"kk", "ru"}
    ended = calls.filter(state="ended")
    rated = ended.filter(rating__isnull=False)
    assert rated.exists()
    assert set(rated.values_list("rating", flat=True)) <= {1, 2, 3, 4, 5}
    assert ended.exclude(recording_uri="").count() >= ended.count() - 2
    assert any(tmp_path.glob("*.wav"))
    # No operator ever held two calls at once.
    accepted = Reservation.objects.filter(
        channel="voice", state__in=[ReservationState.ACCEPTED, ReservationState.COMPLETED]
    ).select_related("task")
    by_operator: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {}
    for reservation in accepted:
        end = reservation.task.ended_at or START + dt.timedelta(hours=1)
        by_operator.setdefault(reservation.operator_id, []).append((reservation.offered_at, end))
    for spans in by_operator.values():
        spans.sort()
        assert all(a_end <= b_start for (_s, a_end), (b_start, _e) in itertools.pairwise(spans))


def test_backfill_makes_finished_past_calls_without_offering_them() -> None:
    from qoldau.core import clock
    from qoldau.routing.enums import Presence
    from qoldau.routing.models import Operator
    from qoldau.telephony.adapters.simulator import simulator_backfill

    make_queue("kk", match='language == "kk"')
    bots = [make_operator(languages={"kk": 5, "ru": 5}) for _ in range(3)]
    made = simulator_backfill(
        sink=call_event_ingest,
        hours=1,
        extensions=[b.extension for b in bots],
        config=SimulatorConfig(peak_per_hour=120, day_floor=1.0),
    )
    assert made > 50
    calls = CallRecord.objects.all()
    assert calls.count() == made
    assert not calls.exclude(state__in=["ended", "abandoned"]).exists()
    assert all(c.arrived_at < clock.now() for c in calls)
    assert not Reservation.objects.filter(state="pending").exists()
    assert not Operator.objects.filter(presence=Presence.ON_CALL).exists()
