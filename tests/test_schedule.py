from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from huey.api import PeriodicTask

from qoldau.workdays.models import CalendarDay

pytestmark = pytest.mark.django_db


def test_the_calendar_task_is_periodic_and_loads_next_year() -> None:
    from config import tasks

    task_class = tasks.keep_calendar_loaded.task_class
    assert issubclass(task_class, PeriodicTask)
    assert task_class().validate_datetime(dt.datetime(2031, 6, 1, 0, 17))  # noqa: DTZ001 (naive UTC)
    assert not task_class().validate_datetime(dt.datetime(2031, 6, 1, 1, 17))  # noqa: DTZ001
    with time_machine.travel("2031-06-01 12:00:00+00:00", tick=False):
        loaded = tasks.keep_calendar_loaded.call_local()
    assert 2032 in loaded
    assert CalendarDay.objects.filter(date__year=2032).count() == 366
