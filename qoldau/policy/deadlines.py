"""Deadline arithmetic of the Rules (R32). Pure: the working-day walk is passed in.

- working_days: the end (23:59:59 local) of the N-th working day after the local date of start;
- seconds, hours, calendar_days: start plus the duration, on the clock;
- months: the same local time N calendar months later (the day clamped to the month's end);
- day_of_month: the end of day N of the month after start's local month (clamped);
- scale: not a deadline.
"""

from __future__ import annotations

import calendar as stdlib_calendar
import datetime as dt
from collections.abc import Callable
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from qoldau.core import clock
from qoldau.core.errors import DomainError
from qoldau.policy.enums import Unit

AddWorkingDays = Callable[[dt.date, int], dt.date]


def whole(value: Decimal) -> int:
    if value != value.to_integral_value():
        raise DomainError("policy_not_whole", _("This rule's value must be a whole number."))
    return int(value)


def duration(unit: str, value: Decimal) -> dt.timedelta | None:
    """The clock duration of a rule, or None when its unit is not a clock duration."""
    if unit == Unit.SECONDS:
        return dt.timedelta(seconds=float(value))
    if unit == Unit.HOURS:
        return dt.timedelta(hours=float(value))
    if unit == Unit.CALENDAR_DAYS:
        return dt.timedelta(days=float(value))
    return None


def add_months(moment: dt.datetime, months: int) -> dt.datetime:
    local = moment.astimezone(clock.local_zone())
    index = local.year * 12 + (local.month - 1) + months
    year, month = divmod(index, 12)
    last_day = stdlib_calendar.monthrange(year, month + 1)[1]
    return local.replace(year=year, month=month + 1, day=min(local.day, last_day))


def day_of_next_month(moment: dt.datetime, day: int) -> dt.datetime:
    local_day = clock.local_date(moment)
    year, month = (
        (local_day.year + 1, 1) if local_day.month == 12 else (local_day.year, local_day.month + 1)
    )
    last_day = stdlib_calendar.monthrange(year, month)[1]
    return clock.end_of_local_day(dt.date(year, month, min(day, last_day)))


def due_after(
    *, unit: str, value: Decimal, start: dt.datetime, add_working_days: AddWorkingDays
) -> dt.datetime:
    """When a rule of ``unit``/``value`` whose clock starts at ``start`` is due (aware, local)."""
    span = duration(unit, value)
    if span is not None:
        return (start.astimezone(dt.UTC) + span).astimezone(clock.local_zone())
    if unit == Unit.WORKING_DAYS:
        day = add_working_days(clock.local_date(start), whole(value))
        return clock.end_of_local_day(day)
    if unit == Unit.MONTHS:
        return add_months(start, whole(value))
    if unit == Unit.DAY_OF_MONTH:
        day_number = whole(value)
        if not 1 <= day_number <= 31:
            raise DomainError("policy_bad_day", _("A day of the month must be from 1 to 31."))
        return day_of_next_month(start, day_number)
    raise DomainError(
        "policy_not_a_deadline",
        _("This rule is a target or a scale, not a deadline: ask for its value instead."),
    )


def latest_before(*, unit: str, value: Decimal, event: dt.datetime) -> dt.datetime:
    """The latest moment to act for a lead time ("at least N before the event"), on the clock."""
    span = duration(unit, value)
    if span is None:
        raise DomainError(
            "policy_not_a_lead_time",
            _("Only a rule in seconds, hours or calendar days can be a lead time."),
        )
    return (event.astimezone(dt.UTC) - span).astimezone(clock.local_zone())
