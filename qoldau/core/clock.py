"""The only reader of the current time. Tests move it with time-machine."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone


def now() -> dt.datetime:
    """The current moment, aware, in UTC."""
    return timezone.now()


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def local_date(moment: dt.datetime | None = None) -> dt.date:
    """The calendar date in the contact center's zone (working days are counted on it)."""
    return (moment or now()).astimezone(local_zone()).date()


def today() -> dt.date:
    return local_date()


def start_of_local_day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=local_zone())


def end_of_local_day(day: dt.date) -> dt.datetime:
    """The last moment of ``day`` in local time: a deadline "within N working days" ends here."""
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=local_zone())
