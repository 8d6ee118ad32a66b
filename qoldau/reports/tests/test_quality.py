"""Ratings (R13) and replies on time (R19) for a period."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from qoldau.accounts.enums import Role
from qoldau.appeals.models import Appeal, Handoff
from qoldau.reports import quality
from qoldau.reports.periods import period_of_days
from qoldau.reports.tests.conftest import MakeUser
from qoldau.reports.tests.helpers import local, make_call

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 11, 10)
PERIOD = period_of_days(DAY, DAY)


def test_ratings_per_operator_with_the_distribution(user_with: MakeUser) -> None:
    first, second = user_with(Role.OPERATOR), user_with(Role.OPERATOR)
    first.first_name, first.last_name = "Айгүл", "Серікова"
    first.save(update_fields=["first_name", "last_name"])
    for score in (5, 5, 4):
        make_call(local(DAY, 10), wait=10.0, rating=score, operator=first)
    make_call(local(DAY, 11), wait=10.0, rating=1, operator=second)
    make_call(local(DAY, 11), wait=10.0, operator=second)  # not rated
    table = quality.rating_table(PERIOD, "operator")
    assert table.scale == 5
    assert [row.label for row in table.rows] == ["Айгүл Серікова", second.username]
    best = table.rows[0]
    assert best.rated == 3
    assert best.average == pytest.approx(14 / 3)
    assert best.distribution == (0, 0, 0, 1, 2)
    assert table.total.rated == 4
    assert table.total.distribution == (1, 0, 0, 1, 2)


def test_ratings_per_line_service_and_day() -> None:
    make_call(local(DAY, 10), wait=1.0, rating=3, line="1414")
    make_call(local(DAY, 10), wait=1.0, rating=5, line="88000807777")
    by_line = quality.rating_table(PERIOD, "line")
    assert {r.label: r.average for r in by_line.rows} == {"1414": 3.0, "88000807777": 5.0}
    by_service = quality.rating_table(PERIOD, "service")
    assert [r.rated for r in by_service.rows] == [2]
    by_day = quality.rating_table(PERIOD, "day")
    assert [r.label for r in by_day.rows] == ["10.11.2026"]


def test_an_empty_period_has_no_ratings() -> None:
    table = quality.rating_table(PERIOD, "operator")
    assert table.rows == []
    assert table.total.rated == 0
    assert table.total.average is None


def _appeal(number: str, due: dt.datetime, answered: dt.datetime | None) -> Appeal:
    return Appeal.objects.create(
        number=number,
        channel="phone",
        received_at=due - dt.timedelta(days=2),
        registered_at=due - dt.timedelta(days=2),
        content="Вопрос",
        due_at=due,
        answered_at=answered,
    )


def test_replies_on_time_and_escalations() -> None:
    due = local(DAY, 18)
    _appeal("1414-T-1", due, due - dt.timedelta(hours=1))  # on time
    _appeal("1414-T-2", due, due)  # exactly at the deadline: on time
    late = _appeal("1414-T-3", due, due + dt.timedelta(minutes=1))
    _appeal("1414-T-4", due, None)  # overdue, open
    _appeal("1414-T-5", due + dt.timedelta(days=5), None)  # due outside the period
    Handoff.objects.create(appeal=late, kind="referral", at=local(DAY, 12))
    Handoff.objects.create(appeal=late, kind="forward", at=local(DAY, 13))
    Handoff.objects.create(appeal=late, kind="referral", at=local(DAY + dt.timedelta(2), 13))
    figures = quality.reply_figures(PERIOD, now=local(DAY + dt.timedelta(days=1), 9))
    assert (figures.due, figures.on_time, figures.late, figures.overdue_open) == (4, 2, 1, 1)
    assert figures.on_time_share == pytest.approx(0.5)
    assert figures.escalations == {"referral": 1, "forward": 1, "transfer": 0}


def test_an_open_appeal_still_in_time_is_not_counted_as_late(user_with: Any) -> None:
    due = local(DAY, 18)
    _appeal("1414-T-6", due, None)
    figures = quality.reply_figures(PERIOD, now=local(DAY, 9))
    assert (figures.in_time_open, figures.overdue_open) == (1, 0)
    assert figures.on_time_share is None
