"""The wallboard and the quality page: who may see them, the p.7 alert, exports (R16, R19)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from qoldau.accounts.enums import Role
from qoldau.policy.models import PolicyRule
from qoldau.reports.tests.conftest import MakeUser
from qoldau.reports.tests.helpers import local, make_call
from qoldau.routing.tests.factories import make_operator
from qoldau.telephony.models import CallRecord

pytestmark = pytest.mark.django_db
NOW = local(dt.date(2026, 11, 16), 12)


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("url_name", ["reports:wallboard", "reports:wallboard_live"])
@pytest.mark.parametrize(
    "role", [Role.OPERATOR, Role.RESPONSIBLE_PERSON, Role.RECIPIENT, Role.KB_EDITOR,
             Role.INFORMATIZATION_OFFICER, Role.QUALITY_OFFICER, Role.ICI_STAFF],
)  # fmt: skip
def test_the_wallboard_is_refused_to_other_roles(
    user_with: MakeUser, role: str, url_name: str
) -> None:
    response = _client(user_with(role)).get(reverse(url_name))
    assert response.status_code == 403


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.RESPONSIBLE_PERSON, Role.RECIPIENT,
                                  Role.KB_EDITOR, Role.ICI_STAFF])  # fmt: skip
def test_the_quality_page_is_refused_to_other_roles(user_with: MakeUser, role: str) -> None:
    client = _client(user_with(role))
    assert client.get(reverse("reports:quality")).status_code == 403
    assert client.get(reverse("reports:quality") + "?export=xlsx").status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in() -> None:
    for name in ("reports:wallboard", "reports:wallboard_live", "reports:quality"):
        response = Client().get(reverse(name))
        assert response.status_code == 302
        assert "login" in response["Location"]


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.UCC_ADMIN])
def test_the_wallboard_shows_the_figures(user_with: MakeUser, role: str) -> None:
    make_operator(presence="available")
    with time_machine.travel(NOW, tick=False):
        make_call(NOW - dt.timedelta(minutes=5), wait=12.0, queue="egov", language="kk")
        make_call(NOW - dt.timedelta(seconds=95), queue="egov", language="kk")
        response = _client(user_with(role)).get(reverse("reports:wallboard"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'hx-trigger="every 5s"' in html
    assert 'data-figure="waiting">1<' in html
    assert 'data-figure="asa">12' in html
    assert 'role="alert"' not in html


@pytest.mark.parametrize(
    ("language", "share"), [("kk", "50,0 %"), ("ru", "50,0 %"), ("en", "50.0 %")]
)
def test_shares_are_written_as_the_language_writes_numbers(
    supervisor: Any, language: str, share: str
) -> None:
    with time_machine.travel(NOW, tick=False):
        make_call(NOW - dt.timedelta(minutes=5), wait=12.0)
        make_call(NOW - dt.timedelta(minutes=4), wait=50.0)
        html = _client(supervisor).get(f"/{language}/reports/wallboard/").content.decode()
    assert share in html  # half the calls answered within 30 s


def _set_target(seconds: int) -> None:
    changed = PolicyRule.objects.filter(code="answer_time_avg").update(value=Decimal(seconds))
    assert changed >= 1


@pytest.mark.parametrize("language", ["en", "ru", "kk"])
def test_the_alert_follows_the_target_of_the_policy_table(supervisor: Any, language: str) -> None:
    client = _client(supervisor)
    url = f"/{language}/reports/wallboard/live/"
    with time_machine.travel(NOW, tick=False):
        make_call(NOW - dt.timedelta(minutes=4), wait=35.0)
        over = client.get(url).content.decode()
        assert 'role="alert"' in over
        assert "7" in over.split('role="alert"')[1].split("</div>")[0]  # cites p.7
        _set_target(40)
        under = client.get(url).content.decode()
        assert 'role="alert"' not in under
        _set_target(34)
        assert 'role="alert"' in client.get(url).content.decode()


def test_the_wallboard_poll_has_a_bounded_number_of_queries(supervisor: Any) -> None:
    client = _client(supervisor)
    url = reverse("reports:wallboard_live")
    with time_machine.travel(NOW, tick=False):
        client.get(url)
        with CaptureQueriesContext(connection) as few:
            client.get(url)
        for n in range(30):
            make_call(NOW - dt.timedelta(minutes=n), wait=float(n), queue=f"q{n % 5}",
                      language=["kk", "ru", "en"][n % 3])  # fmt: skip
            make_call(NOW - dt.timedelta(seconds=n), queue=f"q{n % 5}")
        for _ in range(5):
            make_operator()
        with CaptureQueriesContext(connection) as many:
            client.get(url)
    assert len(many.captured_queries) <= len(few.captured_queries) + 2
    assert len(many.captured_queries) <= 30


@pytest.mark.parametrize(
    "role", [Role.SUPERVISOR, Role.UCC_ADMIN, Role.INFORMATIZATION_OFFICER, Role.QUALITY_OFFICER]
)
def test_the_quality_page_shows_a_period(user_with: MakeUser, role: str) -> None:
    operator = user_with(Role.OPERATOR)
    day = dt.date(2026, 11, 3)
    make_call(local(day, 10), wait=10.0, rating=5, operator=operator)
    make_call(local(day, 11), wait=50.0, rating=2, operator=operator)
    make_call(local(day + dt.timedelta(days=40), 11), wait=50.0, rating=1)  # outside
    response = _client(user_with(role)).get(
        reverse("reports:quality"), {"date_from": "2026-11-01", "date_to": "2026-11-30"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-figure="asa">30' in html
    assert 'data-figure="service-level">50' in html
    assert "3.50" in html or "3,50" in html


def test_a_reversed_period_is_refused_with_a_message(supervisor: Any) -> None:
    response = _client(supervisor).get(
        reverse("reports:quality"), {"date_from": "2026-11-30", "date_to": "2026-11-01"}
    )
    assert response.status_code == 200
    assert "before its start" in response.content.decode()


def test_the_quality_tables_export_to_xlsx_and_csv(supervisor: Any) -> None:
    make_call(local(dt.date(2026, 11, 3), 10), wait=10.0, rating=4)
    client = _client(supervisor)
    query = {"date_from": "2026-11-01", "date_to": "2026-11-30"}
    xlsx = client.get(reverse("reports:quality"), {**query, "export": "xlsx"})
    assert xlsx.status_code == 200
    assert xlsx.content[:2] == b"PK"
    assert "quality-20261101-20261130.xlsx" in xlsx["Content-Disposition"]
    csv_response = client.get(reverse("reports:quality"), {**query, "export": "csv"})
    text = csv_response.getvalue().decode("utf-8-sig")
    assert "Answer times" in text
    assert "Ratings by operator" in text
    assert CallRecord.objects.count() == 1  # reading changed nothing


def test_the_quality_page_queries_do_not_grow_with_the_rows(
    supervisor: Any, user_with: MakeUser
) -> None:
    client = _client(supervisor)
    url = reverse("reports:quality")
    query = {"date_from": "2026-11-01", "date_to": "2026-11-30"}
    # One rated call first: the operators' names are read in one query once there are any.
    make_call(local(dt.date(2026, 11, 1), 9), wait=5.0, rating=5, operator=supervisor)
    client.get(url, query)
    with CaptureQueriesContext(connection) as few:
        client.get(url, query)
    for n in range(12):
        make_call(local(dt.date(2026, 11, 1 + n), 10), wait=10.0, rating=1 + n % 5,
                  operator=user_with(Role.OPERATOR), line=f"line{n % 3}")  # fmt: skip
    with CaptureQueriesContext(connection) as many:
        client.get(url, query)
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_quality_page_shows_ratings_of_written_appeals(supervisor: Any) -> None:
    from qoldau.appeals.models import AppealRating
    from qoldau.appeals.ratings import appeal_rate
    from qoldau.appeals.services import appeal_close, appeal_register

    appeal = appeal_register(
        actor=None,
        data={
            "content": "Сұрақ",
            "channel": "email",
            "language": "kk",
            "email": "citizen@example.kz",
        },
    )
    appeal_close(actor=supervisor, appeal_id=appeal.pk, measures_taken="Кеңес берілді.")
    appeal_rate(token=AppealRating.objects.get(appeal=appeal).token, score=4)
    page = _client(supervisor).get(reverse("reports:quality"))
    body = page.content.decode()
    assert page.context["written_ratings"]["channel"][0].count == 1
    assert page.context["written_ratings"]["channel"][0].average == 4.0
    assert 'id="written-channel"' in body


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
@time_machine.travel(dt.datetime(2026, 12, 6, 9, 0, tzinfo=dt.UTC), tick=False)
def test_the_period_form_shows_its_first_day_in_the_date_picker(
    supervisor: Any, language: str
) -> None:
    """A date picker takes only ISO dates: a Kazakh or Russian 01.12.2026 shows an empty field."""
    page = _client(supervisor).get(f"/{language}/reports/quality/")
    assert 'type="date" name="date_from" value="2026-12-01"' in page.content.decode()
