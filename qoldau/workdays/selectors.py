"""Reads of the working-day calendar (R32). Every call is one or two indexed queries.

Semantics (docs/workdays-and-policy.md):
- ``add_working_days(start, n)``: for ``n > 0`` the n-th working day strictly after ``start``;
  for ``n < 0`` the |n|-th working day strictly before it; for ``n == 0`` ``start`` itself when
  it is a working day, otherwise the next working day (a day off rolls forward).
- ``working_days_between(first, last)``: working days in ``[first, last]``, both ends included.
- ``next_working_day(day)``: the first working day strictly after ``day``.
A date outside the loaded years raises ``CalendarNotLoaded`` naming the year to load.
"""

from __future__ import annotations

import calendar as stdlib_calendar
import datetime as dt
from dataclasses import dataclass

from django.db.models import Max, Min
from django.utils.translation import gettext_lazy as _

from qoldau.core import clock
from qoldau.core.errors import FieldError
from qoldau.workdays.errors import CalendarNotLoaded
from qoldau.workdays.models import CalendarDay, CalendarOverride


@dataclass(frozen=True)
class LoadedRange:
    first: dt.date
    last: dt.date

    @property
    def years(self) -> list[int]:
        return list(range(self.first.year, self.last.year + 1))


def loaded_range() -> LoadedRange | None:
    """The first and last loaded dates (whole years, without gaps), or None when empty."""
    bounds = CalendarDay.objects.aggregate(first=Min("date"), last=Max("date"))
    if bounds["first"] is None:
        return None
    return LoadedRange(first=bounds["first"], last=bounds["last"])


def loaded_years() -> list[int]:
    loaded = loaded_range()
    return loaded.years if loaded else []


def _missing_year(*, after: bool) -> int:
    """The year to load when a walk ran off the loaded range (an error path: one more query)."""
    loaded = loaded_range()
    if loaded is None:
        return clock.today().year
    return loaded.last.year + 1 if after else loaded.first.year - 1


def calendar_day(day: dt.date) -> CalendarDay:
    found = CalendarDay.objects.filter(date=day).first()
    if found is None:
        raise CalendarNotLoaded(day.year)
    return found


def is_working(day: dt.date) -> bool:
    found = CalendarDay.objects.filter(date=day).values_list("is_working", flat=True).first()
    if found is None:
        raise CalendarNotLoaded(day.year)
    return found


def add_working_days(start: dt.date, n: int) -> dt.date:
    """Two indexed lookups: ``start``'s index, then the working day with the target index."""
    row = CalendarDay.objects.filter(date=start).values_list("is_working", "work_index").first()
    if row is None:
        raise CalendarNotLoaded(start.year)
    start_is_working, index = row
    if n == 0:
        if start_is_working:
            return start
        target = index + 1
    elif n > 0:
        target = index + n
    else:
        # A day off shares the index of the working day before it, which counts as the first.
        target = index + n + (0 if start_is_working else 1)
    if target < 1:
        raise CalendarNotLoaded(_missing_year(after=False))
    found = (
        CalendarDay.objects.filter(is_working=True, work_index=target)
        .values_list("date", flat=True)
        .first()
    )
    if found is None:
        raise CalendarNotLoaded(_missing_year(after=target > index))
    return found


def next_working_day(day: dt.date) -> dt.date:
    return add_working_days(day, 1)


def working_days_between(first: dt.date, last: dt.date) -> int:
    """Working days from ``first`` to ``last``, both included; one query."""
    if first > last:
        raise FieldError(
            "last", "workdays_bad_range", _("The end date must not be before the start date.")
        )
    rows = {
        day: (working, index)
        for day, working, index in CalendarDay.objects.filter(date__in=[first, last]).values_list(
            "date", "is_working", "work_index"
        )
    }
    for day in (first, last):
        if day not in rows:
            raise CalendarNotLoaded(day.year)
    first_is_working, first_index = rows[first]
    return rows[last][1] - first_index + int(first_is_working)


def month_days(year: int, month: int) -> list[CalendarDay]:
    first = dt.date(year, month, 1)
    last = dt.date(year, month, stdlib_calendar.monthrange(year, month)[1])
    days = list(CalendarDay.objects.filter(date__range=(first, last)).order_by("date"))
    if len(days) != last.day:
        raise CalendarNotLoaded(year)
    return days


def override_for(day: dt.date) -> CalendarOverride | None:
    return CalendarOverride.objects.filter(date=day).first()


def override_list() -> list[CalendarOverride]:
    return list(CalendarOverride.objects.order_by("date"))
