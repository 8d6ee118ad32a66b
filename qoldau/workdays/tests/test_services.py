"""Overrides re-derive a date and re-index forward; loading keeps the calendar whole (R32)."""

from __future__ import annotations

import datetime as dt

import pytest

from qoldau.accounts.models import User
from qoldau.audit.models import AuditEvent
from qoldau.core.errors import DomainError
from qoldau.workdays.enums import DayKind, DaySource
from qoldau.workdays.models import CalendarDay, CalendarOverride
from qoldau.workdays.selectors import (
    add_working_days,
    calendar_day,
    loaded_years,
    working_days_between,
)
from qoldau.workdays.services import (
    workdays_ensure_loaded,
    workdays_load_year,
    workdays_load_years,
    workdays_override_add,
    workdays_override_change,
    workdays_override_delete,
)

D = dt.date

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user() -> User:
    return User.objects.create_user(username="calendar-admin", password="x" * 16)


def _index_is_consistent() -> bool:
    expected = 0
    for working, index in CalendarDay.objects.order_by("date").values_list(
        "is_working", "work_index"
    ):
        expected += int(working)
        if index != expected:
            return False
    return True


def test_a_new_day_off_shifts_every_later_deadline(admin_user: User) -> None:
    before_total = working_days_between(D(2016, 1, 1), D(2027, 12, 31))
    assert add_working_days(D(2025, 6, 12), 1) == D(2025, 6, 13)
    override = workdays_override_add(
        actor=admin_user,
        day=D(2025, 6, 13),
        is_working=False,
        reason_kk="Үкімет қаулысымен демалыс күні",
        reason_en="Day off by a Government decree",
        decree_number="123",
    )
    day = calendar_day(D(2025, 6, 13))
    assert (day.is_working, day.kind, day.source) == (
        False,
        DayKind.TRANSFERRED_DAY_OFF,
        DaySource.OVERRIDE,
    )
    assert add_working_days(D(2025, 6, 12), 1) == D(2025, 6, 16)
    assert working_days_between(D(2025, 1, 1), D(2025, 12, 31)) == 245
    assert working_days_between(D(2016, 1, 1), D(2027, 12, 31)) == before_total - 1
    assert _index_is_consistent()
    event = AuditEvent.objects.get(action="workdays.override_added")
    assert event.target_id == str(override.pk)
    assert event.actor_user_id == admin_user.pk
    assert event.changes["is_working"] is False


def test_changing_and_deleting_an_override_re_derives_both_dates(admin_user: User) -> None:
    override = workdays_override_add(
        actor=admin_user, day=D(2025, 6, 14), is_working=True, reason_kk="Жұмыс сенбісі"
    )
    assert calendar_day(D(2025, 6, 14)).kind == DayKind.WORKING_WEEKEND
    assert working_days_between(D(2025, 1, 1), D(2025, 12, 31)) == 247
    workdays_override_change(
        actor=admin_user,
        override_id=override.pk,
        day=D(2025, 6, 21),
        is_working=True,
        reason_kk="Жұмыс сенбісі",
    )
    assert calendar_day(D(2025, 6, 14)).is_working is False
    assert calendar_day(D(2025, 6, 14)).source == DaySource.PACKAGE
    assert calendar_day(D(2025, 6, 21)).is_working is True
    assert working_days_between(D(2025, 1, 1), D(2025, 12, 31)) == 247
    workdays_override_delete(actor=admin_user, override_id=override.pk)
    assert calendar_day(D(2025, 6, 21)).is_working is False
    assert working_days_between(D(2025, 1, 1), D(2025, 12, 31)) == 246
    assert _index_is_consistent()
    actions = list(AuditEvent.objects.order_by("seq").values_list("action", flat=True))
    assert actions[-3:] == [
        "workdays.override_added",
        "workdays.override_changed",
        "workdays.override_deleted",
    ]


def test_override_validation_changes_nothing(admin_user: User) -> None:
    with pytest.raises(DomainError) as raised:
        workdays_override_add(actor=admin_user, day=D(2025, 6, 13), is_working=False, reason_kk=" ")
    assert raised.value.field == "reason_kk"
    with pytest.raises(DomainError) as raised:
        workdays_override_add(
            actor=admin_user, day=D(2026, 8, 31), is_working=False, reason_kk="Қайталау"
        )
    assert raised.value.code == "workdays_override_exists"
    assert calendar_day(D(2025, 6, 13)).is_working is True
    assert calendar_day(D(2026, 8, 31)).is_working is True
    assert not AuditEvent.objects.filter(action__startswith="workdays.override").exists()


def test_an_override_for_a_year_not_loaded_applies_when_it_is_loaded(admin_user: User) -> None:
    workdays_override_add(
        actor=admin_user, day=D(2028, 1, 3), is_working=False, reason_kk="Алдын ала енгізілген"
    )
    assert workdays_ensure_loaded(through_year=2028) == [2028]
    assert calendar_day(D(2028, 1, 3)).is_working is False
    assert calendar_day(D(2028, 1, 3)).source == DaySource.OVERRIDE
    assert _index_is_consistent()


def test_ensure_loaded_loads_only_missing_years_and_is_idempotent() -> None:
    assert workdays_ensure_loaded(through_year=2029) == [2028, 2029]
    assert workdays_ensure_loaded(through_year=2029) == []
    assert loaded_years() == list(range(2016, 2030))
    assert add_working_days(D(2027, 12, 30), 5) > D(2028, 1, 1)
    assert _index_is_consistent()


def test_reloading_a_year_keeps_overrides_and_the_index() -> None:
    before = list(
        CalendarDay.objects.order_by("date").values_list("date", "is_working", "work_index")
    )
    assert workdays_load_year(year=2026) == [2026]
    after = list(
        CalendarDay.objects.order_by("date").values_list("date", "is_working", "work_index")
    )
    assert after == before
    assert calendar_day(D(2026, 8, 31)).source == DaySource.OVERRIDE


def test_loading_a_far_year_fills_the_gap_and_an_earlier_year_re_indexes() -> None:
    assert workdays_load_years(years=[2030]) == [2028, 2029, 2030]
    assert workdays_load_year(year=2015) == [2015]
    assert loaded_years() == list(range(2015, 2031))
    assert add_working_days(D(2016, 1, 4), -1) == D(2015, 12, 31)
    assert working_days_between(D(2025, 1, 1), D(2025, 12, 31)) == 246
    assert _index_is_consistent()


def test_a_bad_year_is_refused() -> None:
    with pytest.raises(DomainError) as raised:
        workdays_load_year(year=1800)
    assert raised.value.code == "workdays_bad_year"
    assert CalendarOverride.objects.count() == 1
