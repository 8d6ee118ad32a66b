"""Periods of the reports: half-open ``[start, end)`` intervals of aware moments.

A period the user picks is a range of local dates in the contact center's zone (Asia/Almaty),
from the first day's midnight to the midnight after the last day; "now" is a rolling window
ending at the current moment.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from qoldau.core import clock

INTERVAL = dt.timedelta(minutes=15)


@dataclass(frozen=True)
class Period:
    start: dt.datetime
    end: dt.datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("a period needs aware moments")
        if self.end < self.start:
            raise ValueError("a period ends after it starts")


def local_midnight(day: dt.date) -> dt.datetime:
    """The start of the local day ``day``."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=clock.local_zone())


def period_of_days(first: dt.date, last: dt.date) -> Period:
    """The local days ``first`` to ``last``, both included."""
    if last < first:
        first, last = last, first
    return Period(local_midnight(first), local_midnight(last + dt.timedelta(days=1)))


def period_rolling(minutes: int, now: dt.datetime | None = None) -> Period:
    """The last ``minutes`` up to ``now``."""
    end = now or clock.now()
    return Period(end - dt.timedelta(minutes=minutes), end)


def intervals_of_day(day: dt.date) -> list[dt.datetime]:
    """The starts of the 96 quarter-hours of a local day."""
    start = period_of_days(day, day).start
    return [start + INTERVAL * n for n in range(96)]
