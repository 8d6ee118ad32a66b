"""Working-day arithmetic on the seeded calendar, its edges and its cost in queries (R32)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from qoldau.core.errors import DomainError
from qoldau.workdays.errors import CalendarNotLoaded
from qoldau.workdays.models import CalendarDay
from qoldau.workdays.selectors import (
    add_working_days,
    is_working,
    month_days,
    next_working_day,
    working_days_between,
)

D = dt.date

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (D(2024, 12, 31), 2, D(2025, 1, 6)),  # New Year, moved day off, working Sunday
        (D(2024, 12, 31), 1, D(2025, 1, 5)),
        (D(2024, 5, 2), 2, D(2024, 5, 4)),  # working Saturday
        (D(2025, 3, 20), 2, D(2025, 3, 27)),  # Nowruz 21-25 March
        (D(2025, 3, 22), 1, D(2025, 3, 26)),  # from a day off
        (D(2025, 1, 6), -2, D(2024, 12, 31)),
        (D(2025, 1, 6), -1, D(2025, 1, 5)),
        (D(2025, 1, 4), -1, D(2024, 12, 31)),  # from a day off backwards
        (D(2025, 3, 26), -1, D(2025, 3, 20)),
        (D(2025, 3, 26), 0, D(2025, 3, 26)),  # a working day stays
        (D(2025, 3, 22), 0, D(2025, 3, 26)),  # a day off rolls forward
    ],
)
def test_add_working_days(start: dt.date, n: int, expected: dt.date) -> None:
    assert add_working_days(start, n) == expected


def test_adding_and_going_back_are_inverse_on_working_days() -> None:
    start = D(2025, 1, 5)
    for n in range(1, 30):
        assert add_working_days(add_working_days(start, n), -n) == start


def test_next_working_day() -> None:
    assert next_working_day(D(2025, 3, 7)) == D(2025, 3, 11)  # 8 March on a Saturday, moved
    assert next_working_day(D(2025, 1, 4)) == D(2025, 1, 5)


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        (D(2025, 1, 1), D(2025, 12, 31), 246),
        (D(2025, 1, 5), D(2025, 1, 5), 1),  # both ends included
        (D(2025, 1, 4), D(2025, 1, 4), 0),
        (D(2025, 1, 3), D(2025, 1, 6), 2),
        (D(2024, 12, 31), D(2025, 1, 6), 3),
    ],
)
def test_working_days_between(first: dt.date, last: dt.date, expected: int) -> None:
    assert working_days_between(first, last) == expected


def test_between_over_the_whole_range_counts_every_working_day() -> None:
    total = CalendarDay.objects.filter(is_working=True).count()
    assert working_days_between(D(2016, 1, 1), D(2027, 12, 31)) == total


def test_between_refuses_a_reversed_range() -> None:
    with pytest.raises(DomainError) as raised:
        working_days_between(D(2025, 2, 1), D(2025, 1, 1))
    assert raised.value.code == "workdays_bad_range"


@pytest.mark.parametrize(
    ("call", "year"),
    [
        (lambda: is_working(D(2030, 1, 1)), 2030),
        (lambda: add_working_days(D(2015, 12, 31), 1), 2015),
        (lambda: add_working_days(D(2027, 12, 20), 20), 2028),
        (lambda: add_working_days(D(2016, 1, 6), -5), 2015),
        (lambda: working_days_between(D(2025, 1, 1), D(2028, 1, 1)), 2028),
        (lambda: month_days(2029, 2), 2029),
    ],
)
def test_out_of_range_names_the_missing_year(call: Any, year: int) -> None:
    with pytest.raises(CalendarNotLoaded) as raised:
        call()
    assert raised.value.year == year
    assert raised.value.code == "workdays_year_not_loaded"
    assert f"--year {year}" in str(raised.value.message)


def test_each_call_costs_one_or_two_queries(django_assert_max_num_queries: Any) -> None:
    with django_assert_max_num_queries(1):
        assert is_working(D(2025, 1, 5)) is True
    with django_assert_max_num_queries(2):
        assert add_working_days(D(2016, 1, 4), 2900) > D(2027, 1, 1)
    with django_assert_max_num_queries(2):
        assert add_working_days(D(2027, 12, 31), -2900) < D(2017, 1, 1)
    with django_assert_max_num_queries(2):
        assert next_working_day(D(2025, 12, 31)) == D(2026, 1, 5)
    with django_assert_max_num_queries(1):
        assert working_days_between(D(2016, 1, 1), D(2027, 12, 31)) > 2900
