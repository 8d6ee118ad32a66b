"""The seeded calendar matches the official calendars of Kazakhstan (R32)."""

from __future__ import annotations

import datetime as dt

import holidays
import pytest

from qoldau.workdays.enums import DayKind, DaySource
from qoldau.workdays.holiday_source import plan_year, russian_name
from qoldau.workdays.models import CalendarDay, CalendarOverride
from qoldau.workdays.selectors import calendar_day, is_working, loaded_years, working_days_between

D = dt.date

pytestmark = pytest.mark.django_db


def test_the_migration_loads_2016_through_2027() -> None:
    assert loaded_years() == list(range(2016, 2028))
    assert CalendarDay.objects.count() == (D(2027, 12, 31) - D(2016, 1, 1)).days + 1


@pytest.mark.parametrize(("year", "working"), [(2024, 249), (2025, 246)])
def test_official_number_of_working_days(year: int, working: int) -> None:
    assert working_days_between(D(year, 1, 1), D(year, 12, 31)) == working
    assert CalendarDay.objects.filter(date__year=year, is_working=True).count() == working


@pytest.mark.parametrize(
    ("day", "working", "kind"),
    [
        (D(2024, 5, 8), False, DayKind.TRANSFERRED_DAY_OFF),
        (D(2024, 5, 4), True, DayKind.WORKING_WEEKEND),
        (D(2025, 1, 3), False, DayKind.TRANSFERRED_DAY_OFF),
        (D(2025, 1, 5), True, DayKind.WORKING_WEEKEND),
        (D(2025, 3, 21), False, DayKind.HOLIDAY),
        (D(2025, 3, 24), False, DayKind.HOLIDAY),
        (D(2025, 3, 25), False, DayKind.HOLIDAY),
        (D(2025, 3, 26), True, DayKind.WORKING),
        (D(2025, 3, 29), False, DayKind.WEEKEND),
        (D(2025, 1, 7), False, DayKind.HOLIDAY),
    ],
)
def test_transferred_days_and_holidays(day: dt.date, working: bool, kind: DayKind) -> None:
    found = calendar_day(day)
    assert (found.is_working, found.kind) == (working, kind)
    assert is_working(day) is working


def test_holiday_names_in_three_languages() -> None:
    nowruz = calendar_day(D(2025, 3, 24))
    assert nowruz.name_en == "Nowruz Holiday (observed)"
    assert nowruz.name_kk == "Наурыз мейрамы (қайта белгіленген демалыс)"
    assert nowruz.name_ru == "Наурыз мейрамы (перенесённый выходной)"
    moved = calendar_day(D(2025, 1, 3))
    assert moved.name_en == "Day off (moved from 05.01.2025)"
    assert moved.name_ru == "Выходной день (перенесён с 05.01.2025)"
    assert "05.01.2025" in moved.name_kk
    working_sunday = calendar_day(D(2025, 1, 5))
    assert "03.01.2025" in working_sunday.name_en
    assert working_sunday.name_kk.startswith("Жұмыс күні")


def test_every_package_holiday_has_a_russian_name() -> None:
    names = {
        part
        for name in holidays.country_holidays(
            "KZ", years=range(2016, 2031), language="en_US"
        ).values()
        for part in name.split("; ")
    }
    assert names
    assert [name for name in names if russian_name(name) is None] == []


def test_a_substitution_across_new_year_makes_the_earlier_weekend_working() -> None:
    # 2014-01-03 was a day off in exchange for Saturday 2013-12-28 (Government decree).
    plan_2013 = {day.date: day for day in plan_year(2013, {})}
    assert plan_2013[D(2013, 12, 28)].is_working is True
    assert plan_2013[D(2013, 12, 28)].kind == DayKind.WORKING_WEEKEND
    plan_2014 = {day.date: day for day in plan_year(2014, {})}
    assert plan_2014[D(2014, 1, 3)].kind == DayKind.TRANSFERRED_DAY_OFF


def test_the_2026_constitution_day_override_is_seeded() -> None:
    override = CalendarOverride.objects.get(date=D(2026, 8, 31))
    assert override.is_working is True
    assert override.reason_kk
    assert override.reason_ru
    assert override.reason_en
    assert "15" in override.reason_en
    assert "March" in override.reason_en
    day = calendar_day(D(2026, 8, 31))
    assert (day.is_working, day.source) == (True, DaySource.OVERRIDE)
    assert working_days_between(D(2026, 1, 1), D(2026, 12, 31)) == 247


def test_an_override_wins_over_the_package_in_the_plan() -> None:
    # An older package gave Monday 2026-08-31 as the observed Constitution Day; the override
    # keeps it a working day whatever the package says.
    plan = {day.date: day for day in plan_year(2026, {D(2026, 8, 31): True, D(2026, 9, 1): False})}
    assert plan[D(2026, 8, 31)].is_working is True
    assert plan[D(2026, 9, 1)].is_working is False
    assert plan[D(2026, 9, 1)].kind == DayKind.TRANSFERRED_DAY_OFF
    assert plan[D(2026, 9, 1)].source == DaySource.OVERRIDE


def test_the_index_counts_working_days_without_gaps() -> None:
    rows = list(CalendarDay.objects.order_by("date").values_list("is_working", "work_index"))
    expected = 0
    for working, index in rows:
        expected += int(working)
        assert index == expected
