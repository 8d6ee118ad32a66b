"""Admin: days are read-only; saving an override goes through the audited service."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from qoldau.accounts.models import User
from qoldau.audit.models import AuditEvent
from qoldau.workdays.models import CalendarOverride
from qoldau.workdays.selectors import calendar_day

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_user() -> tuple[Client, User]:
    user = User.objects.create_superuser(username="root", password="x" * 16, email="r@example.kz")
    client = Client()
    client.force_login(user)
    return client, user


def test_days_are_listed_filtered_by_year_and_read_only(
    admin_client_user: tuple[Client, User],
) -> None:
    client, _user = admin_client_user
    url = reverse("admin:workdays_calendarday_changelist")
    response = client.get(url, {"year": "2025", "kind": "working_weekend"})
    assert response.status_code == 200
    assert b"2025" in response.content
    assert client.get(reverse("admin:workdays_calendarday_add")).status_code == 403


def test_adding_an_override_in_the_admin_re_derives_the_day(
    admin_client_user: tuple[Client, User],
) -> None:
    client, user = admin_client_user
    response = client.post(
        reverse("admin:workdays_calendaroverride_add"),
        {
            "date": "2025-06-13",
            "is_working": "",
            "reason_kk": "Үкімет қаулысымен демалыс",
            "reason_ru": "",
            "reason_en": "",
            "decree_title": "",
            "decree_number": "",
            "decree_date": "",
        },
    )
    assert response.status_code == 302, response.content
    override = CalendarOverride.objects.get(date=dt.date(2025, 6, 13))
    assert override.created_by == user
    assert calendar_day(dt.date(2025, 6, 13)).is_working is False
    assert AuditEvent.objects.filter(action="workdays.override_added").count() == 1


def test_a_duplicate_date_is_a_form_error_not_a_crash(
    admin_client_user: tuple[Client, User],
) -> None:
    client, _user = admin_client_user
    response = client.post(
        reverse("admin:workdays_calendaroverride_add"),
        {"date": "2026-08-31", "is_working": "on", "reason_kk": "Қайталау"},
    )
    assert response.status_code == 200
    assert CalendarOverride.objects.count() == 1
    assert not AuditEvent.objects.filter(action="workdays.override_added").exists()
