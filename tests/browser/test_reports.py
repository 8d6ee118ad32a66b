"""The supervisor's wallboard and the quality figures in a real browser (R13, R16, R19): the
wallboard updates by itself when a call record changes, in Kazakh and Russian."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import time_machine
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from qoldau.accounts.enums import Role
from qoldau.accounts.services import user_create
from qoldau.appeals.tests.reference import ensure_reference_data
from qoldau.core import clock
from qoldau.reports.tests.helpers import make_call
from qoldau.routing.enums import Presence
from qoldau.routing.models import Operator, Queue
from qoldau.telephony.enums import CallState

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Correct-Horse-1414"
Screenshot = Callable[[Page, str], Path]
QUEUES = [
    ("egov", "eGov порталы", "Портал eGov"),
    ("eds", "ЭЦҚ және кілттер", "ЭЦП и ключи"),
    ("pensions", "Зейнетақы және жәрдемақы", "Пенсии и пособия"),
]
PEOPLE = [
    ("Айгүл", "Серікова"),
    ("Данияр", "Ахметов"),
    ("Мария", "Ким"),
    ("Ерлан", "Жұмабаев"),
    ("Салтанат", "Омарова"),
    ("Тимур", "Исаев"),
]


def _floor(now: dt.datetime) -> list[Any]:
    """Queues, operators in every state and a day of calls up to ``now``."""
    rng = random.Random(1414)
    for code, kk, ru in QUEUES:
        Queue.objects.create(code=code, name_kk=kk, name_ru=ru, name_en=code)
    presences = [Presence.ON_CALL, Presence.ON_CALL, Presence.AVAILABLE, Presence.WRAP_UP,
                 Presence.BREAK, Presence.OFFLINE]  # fmt: skip
    users = []
    for n, ((first, last), presence) in enumerate(zip(PEOPLE, presences, strict=True)):
        user = user_create(username=f"op{n}", password=PASSWORD, organisation_id=None,
                           roles=[Role.OPERATOR], first_name=first, last_name=last)  # fmt: skip
        Operator.objects.create(
            user=user, extension=str(2000 + n), presence=presence,
            presence_since=now, idle_since=now,
        )  # fmt: skip
        users.append(user)
    start = clock.start_of_local_day(clock.local_date(now))
    minutes = int((now - start).total_seconds() // 60)
    for minute in range(0, max(minutes - 3, 0), 4):
        arrived = start + dt.timedelta(minutes=minute, seconds=rng.randrange(60))
        busy = 1.0 + 0.3 * (minute / max(minutes, 1))
        abandoned = rng.random() < 0.08
        make_call(
            arrived,
            # Answered within 29 s: the rolling average stays under the p.7 target whatever
            # the time of day the test runs at (the alert is the test's own doing below).
            wait=round(
                min(rng.uniform(4, 30) * busy, 29.0) if not abandoned else rng.uniform(5, 60), 1
            ),
            abandoned=abandoned,
            queue=rng.choice(QUEUES)[0],
            language=rng.choice(["kk", "kk", "ru", "ru", "ru", "en"]),
            rating=rng.choice([None, 5, 5, 4, 4, 3, 2, 1]) if not abandoned else None,
            operator=rng.choice(users) if not abandoned else None,
            line=rng.choice(["1414", "1414", "88000807777"]),
        )
    for seconds in (95, 40):
        make_call(now - dt.timedelta(seconds=seconds), queue="egov", language="kk")
    return users


def _sign_in(page: Page, live_server: LiveServer, language: str) -> None:
    user_create(username=f"supervisor-{language}", password=PASSWORD, organisation_id=None,
                roles=[Role.SUPERVISOR], first_name="Гүлнар", last_name="Әбенова",
                language=language)  # fmt: skip
    page.goto(f"{live_server.url}/{language}/login/")
    page.locator("#id_username").fill(f"supervisor-{language}")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form.form button[type=submit]").click()
    expect(page).to_have_url(f"{live_server.url}/{language}/home/")


TEXTS = {
    "kk": {"title": "1414 желісінің бақылау тақтасы", "quality": "Сапа көрсеткіштері"},
    "ru": {"title": "Табло линии 1414", "quality": "Показатели качества"},
}


@pytest.fixture
def day_under_way() -> Any:
    """At least three hours of the local day have passed when the test runs: just after
    Almaty's midnight there would be no day of calls to chart. Before 03:00 the clock is moved
    on to 03:00 and ticks from there (the server thread sees it too; the browser's cookies,
    on real time, stay valid: they expire hours later)."""
    now = clock.now()
    under_way = clock.start_of_local_day(clock.local_date(now)) + dt.timedelta(hours=3)
    if now >= under_way:
        yield
        return
    with time_machine.travel(under_way, tick=True):
        yield


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_the_wallboard_updates_itself_and_the_quality_page_shows_the_month(
    page: Page, live_server: LiveServer, screenshot: Screenshot, language: str, day_under_way: Any
) -> None:
    ensure_reference_data()  # the Rules (p.7 target) may have been flushed by an earlier test
    now = clock.now()
    _floor(now)
    _sign_in(page, live_server, language)

    page.goto(f"{live_server.url}/{language}/reports/wallboard/")
    expect(page.get_by_role("heading", level=1)).to_have_text(TEXTS[language]["title"])
    waiting = page.locator('[data-figure="waiting"]')
    expect(waiting).to_have_text("2")
    expect(page.locator('[data-presence="on_call"] .presence__count')).to_have_text("2")
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(page.locator("svg[role=img] rect.chart__bar").first).to_be_visible()
    screenshot(page, f"wallboard-{language}")
    page.set_viewport_size({"width": 1366, "height": 1500})
    screenshot(page, f"wallboard-full-{language}")
    page.set_viewport_size({"width": 1366, "height": 768})

    # A call arrives, and slow answers push the 15-minute average over the p.7 target: the
    # next poll shows both without a reload.
    make_call(clock.now() - dt.timedelta(seconds=5), queue="eds", language="ru")
    for n in range(6):
        make_call(clock.now() - dt.timedelta(minutes=2 + n), wait=95.0, queue="eds")
    expect(waiting).to_have_text("3", timeout=20_000)
    alert = page.get_by_role("alert")
    expect(alert).to_be_visible(timeout=20_000)
    expect(alert).to_contain_text("7")
    screenshot(page, f"wallboard-alert-{language}")

    # The waiting call is answered: the count goes down again.
    from qoldau.telephony.models import CallRecord

    call = CallRecord.objects.filter(state=CallState.QUEUED, queue="eds").get()
    call.state, call.wait_seconds = CallState.TALKING, 20.0
    call.save(update_fields=["state", "wait_seconds"])
    expect(waiting).to_have_text("2", timeout=20_000)

    page.goto(f"{live_server.url}/{language}/reports/quality/")
    expect(page.get_by_role("heading", level=1)).to_have_text(TEXTS[language]["quality"])
    expect(page.locator('[data-figure="asa"]')).not_to_have_text("—")
    expect(page.locator("#ratings-operator")).to_be_visible()
    screenshot(page, f"quality-{language}")
    page.set_viewport_size({"width": 1366, "height": 2200})
    screenshot(page, f"quality-full-{language}")
