"""System check workdays.W001: next year must be loaded (R32)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from qoldau.workdays.checks import check_next_year_loaded
from qoldau.workdays.services import workdays_ensure_loaded

pytestmark = pytest.mark.django_db


def test_no_warning_while_next_year_is_loaded() -> None:
    with time_machine.travel(dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC), tick=False):
        assert check_next_year_loaded() == []


def test_warns_when_next_year_is_missing_and_stops_once_loaded() -> None:
    with time_machine.travel(dt.datetime(2027, 3, 1, 12, tzinfo=dt.UTC), tick=False):
        [warning] = check_next_year_loaded()
        assert warning.id == "workdays.W001"
        assert "2028" in warning.msg
        assert warning.hint == "Run: qoldau workdays load --year 2028"
        workdays_ensure_loaded(through_year=2028)
        assert check_next_year_loaded() == []


def test_the_check_is_registered() -> None:
    from django.core import checks

    assert check_next_year_loaded in checks.registry.registry.get_checks()
