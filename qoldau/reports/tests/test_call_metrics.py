"""Answer-time figures on hand-made call records (R16, R19)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from qoldau.reports import call_metrics as cm
from qoldau.reports.models import CallInterval
from qoldau.reports.periods import Period, period_of_days, period_rolling
from qoldau.reports.rollup import call_intervals_seal
from qoldau.reports.tests.helpers import local, make_call
from qoldau.routing.enums import Presence
from qoldau.routing.tests.factories import make_operator

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 11, 16)


def whole_day() -> Period:
    return period_of_days(DAY, DAY)


def test_asa_service_level_and_abandonment_are_exact() -> None:
    for wait in (10.0, 20.0, 45.0):
        make_call(local(DAY, 10), wait=wait)
    make_call(local(DAY, 10, 5), wait=50.0, abandoned=True)
    figures = cm.call_figures(whole_day()).total
    assert figures.calls == 4
    assert figures.answered == 3
    assert figures.asa_seconds == pytest.approx(25.0)  # (10 + 20 + 45) / 3
    assert figures.within_target == 2
    assert figures.service_level == pytest.approx(0.5)  # 2 of 4 calls with an outcome
    assert figures.abandonment_rate == pytest.approx(0.25)


def test_exactly_the_target_is_within_it_and_a_tenth_more_is_not() -> None:
    make_call(local(DAY, 9), wait=30.0)
    make_call(local(DAY, 9), wait=30.1)
    figures = cm.call_figures(whole_day())
    assert figures.target.seconds == 30
    assert "7" in figures.target.citation
    assert figures.total.within_target == 1
    assert figures.total.service_level == pytest.approx(0.5)


def test_figures_per_queue_and_language_add_up_to_the_total() -> None:
    make_call(local(DAY, 11), wait=10.0, queue="egov", language="kk")
    make_call(local(DAY, 11), wait=40.0, queue="egov", language="ru")
    make_call(local(DAY, 11), wait=5.0, abandoned=True, queue="eds", language="kk")
    figures = cm.call_figures(whole_day())
    assert set(figures.by_queue) == {"egov", "eds"}
    assert figures.by_queue["egov"].asa_seconds == pytest.approx(25.0)
    assert figures.by_queue["eds"].abandonment_rate == pytest.approx(1.0)
    assert figures.by_language["kk"].calls == 2
    assert figures.by_language["kk"].asa_seconds == pytest.approx(10.0)
    assert figures.by_language["ru"].service_level == pytest.approx(0.0)
    assert sum(f.calls for f in figures.by_queue.values()) == figures.total.calls == 3


def test_an_empty_period_has_no_rates() -> None:
    make_call(local(DAY, 11), wait=10.0)
    figures = cm.call_figures(period_of_days(DAY + dt.timedelta(days=1), DAY + dt.timedelta(2)))
    assert figures.total.calls == 0
    assert figures.total.asa_seconds is None
    assert figures.total.service_level is None
    assert figures.total.abandonment_rate is None
    assert figures.by_queue == {}


def test_a_period_is_half_open_on_local_days() -> None:
    make_call(local(DAY, 0, 0), wait=10.0)  # 19:00 UTC the day before: still this local day
    make_call(local(DAY + dt.timedelta(days=1), 0, 0), wait=10.0)  # the next local day
    assert cm.call_figures(whole_day()).total.calls == 1
    days = cm.call_figures_per_day(period_of_days(DAY, DAY + dt.timedelta(days=1)))
    assert [(d.day, d.figures.calls) for d in days] == [(DAY, 1), (DAY + dt.timedelta(1), 1)]


def test_calls_waiting_and_the_longest_wait() -> None:
    now = local(DAY, 12)
    make_call(now - dt.timedelta(seconds=70), queue="egov", language="kk")
    make_call(now - dt.timedelta(seconds=20), queue="eds", language="kk")
    make_call(now - dt.timedelta(seconds=300), wait=12.0)  # answered: not waiting
    waiting = cm.calls_waiting(now)
    assert waiting.calls == 2
    assert waiting.longest_seconds == pytest.approx(70.0)
    assert {k: (n, round(w or 0)) for k, (n, w) in waiting.by_queue.items()} == {
        "eds": (1, 20),
        "egov": (1, 70),
    }
    assert waiting.by_language["kk"][0] == 2


def test_operators_by_presence_lists_every_state() -> None:
    make_operator(presence=Presence.AVAILABLE)
    make_operator(presence=Presence.AVAILABLE)
    make_operator(presence=Presence.BREAK)
    counts = cm.operators_by_presence()
    assert counts == {"available": 2, "on_call": 0, "wrap_up": 0, "break": 1, "offline": 0}


def test_rolling_windows_see_only_recent_calls() -> None:
    now = local(DAY, 12)
    make_call(now - dt.timedelta(minutes=5), wait=40.0)
    make_call(now - dt.timedelta(minutes=30), wait=10.0)
    make_call(now - dt.timedelta(minutes=90), wait=10.0)
    live = cm.live_figures(now)
    assert live.rolling[15].total.calls == 1
    assert live.rolling[60].total.calls == 2
    assert live.rolling[60].total.asa_seconds == pytest.approx(25.0)
    assert live.today.total.calls == 3
    assert live.asa_over_target  # 40 s over the last 15 minutes


def test_quarter_hours_of_a_day() -> None:
    make_call(local(DAY, 10, 7), wait=10.0)
    make_call(local(DAY, 10, 14, 59), wait=20.0)
    make_call(local(DAY, 10, 15), wait=60.0)
    intervals = cm.call_figures_per_interval(DAY)
    assert len(intervals) == 96
    by_start = {i.start.astimezone(local(DAY, 0).tzinfo).strftime("%H:%M"): i for i in intervals}
    assert by_start["10:00"].figures.calls == 2
    assert by_start["10:00"].figures.asa_seconds == pytest.approx(15.0)
    assert by_start["10:15"].figures.asa_seconds == pytest.approx(60.0)
    assert by_start["09:45"].figures.calls == 0


def _calls_of_a_day() -> None:
    for hour, wait, abandoned, queue, language in [
        (8, 12.0, False, "egov", "kk"),
        (8, 30.0, False, "egov", "ru"),
        (9, 31.0, False, "eds", "ru"),
        (9, 45.0, True, "eds", "kk"),
        (13, 5.0, False, "egov", "kk"),
        (22, 50.0, False, "egov", "ru"),
    ]:
        make_call(local(DAY, hour, 20), wait=wait, abandoned=abandoned, queue=queue,
                  language=language)  # fmt: skip


def _as_tuple(f: cm.Figures) -> tuple[int, int, int, int, float]:
    return (f.calls, f.answered, f.within_target, f.abandoned, round(f.wait_sum, 6))


def test_the_rollup_gives_the_same_figures_as_the_call_records() -> None:
    _calls_of_a_day()
    raw = cm.call_figures(whole_day())
    raw_days = cm.call_figures_per_day(whole_day())
    raw_quarters = cm.call_figures_per_interval(DAY)
    # Seal up to 12:00 local: the morning comes from the rollup, the rest from the records.
    written = call_intervals_seal(now=local(DAY, 14))
    assert written == CallInterval.objects.count() > 0
    mixed = cm.call_figures(whole_day())
    assert _as_tuple(mixed.total) == _as_tuple(raw.total)
    assert {k: _as_tuple(v) for k, v in mixed.by_queue.items()} == {
        k: _as_tuple(v) for k, v in raw.by_queue.items()
    }
    assert [_as_tuple(d.figures) for d in cm.call_figures_per_day(whole_day())] == [
        _as_tuple(d.figures) for d in raw_days
    ]
    assert [_as_tuple(i.figures) for i in cm.call_figures_per_interval(DAY)] == [
        _as_tuple(i.figures) for i in raw_quarters
    ]
    # A window that starts and ends inside quarter-hours reads the edges from the records.
    window = Period(local(DAY, 8, 19), local(DAY, 9, 21))
    assert cm.call_figures(window).total.calls == 4
    # Sealing again writes nothing new; sealing later adds the afternoon.
    assert call_intervals_seal(now=local(DAY, 14)) == 0
    call_intervals_seal(now=local(DAY + dt.timedelta(days=1), 3))
    assert _as_tuple(cm.call_figures(whole_day()).total) == _as_tuple(raw.total)


def test_a_rebuild_picks_up_a_late_change() -> None:
    call = make_call(local(DAY, 8, 20), wait=12.0)
    call_intervals_seal(now=local(DAY, 14))
    call.wait_seconds = 42.0
    call.save(update_fields=["wait_seconds"])
    assert cm.call_figures(whole_day()).total.within_target == 1  # the sealed figure
    call_intervals_seal(now=local(DAY, 14), rebuild_from=local(DAY, 0))
    assert cm.call_figures(whole_day()).total.within_target == 0


def test_the_rolling_windows_are_read_from_records_after_sealing() -> None:
    now = local(DAY, 12)
    with time_machine.travel(now, tick=False):
        make_call(now - dt.timedelta(minutes=3), wait=33.0)
        call_intervals_seal(now=now)
        assert cm.call_figures(period_rolling(15)).total.calls == 1


def test_queries_are_bounded_whatever_the_number_of_calls() -> None:
    call_intervals_seal(now=local(DAY, 14))

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            cm.call_figures(whole_day())
            cm.call_figures_per_day(period_of_days(DAY - dt.timedelta(days=30), DAY))
            cm.call_figures_per_interval(DAY)
            cm.live_figures(local(DAY, 13))
        return len(ctx.captured_queries)

    before = count()
    _calls_of_a_day()
    for n in range(20):
        make_call(local(DAY, 7, n), wait=float(n), queue=f"q{n % 4}")
    call_intervals_seal(now=local(DAY, 23))
    # Each selector splits its period into at most one rollup read and two record reads.
    assert before <= 24
    assert count() <= before
