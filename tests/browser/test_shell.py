"""The web shell in a real browser: languages (R34), sign-in, navigation by role (R2)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from pytest_django.live_server_helper import LiveServer

from qoldau.accounts.enums import Role
from qoldau.accounts.models import User
from qoldau.accounts.services import user_create
from qoldau.registry.enums import OrganisationKind
from qoldau.registry.models import Organisation, PublicService

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Correct-Horse-1414"
Screenshot = Callable[[Page, str], Path]


def _operator(language: str = "en") -> User:
    return user_create(
        username="aigul",
        password=PASSWORD,
        organisation_id=None,
        roles=[Role.OPERATOR],
        first_name="Aigul",
        last_name="Serikova",
        language=language,
    )


def _sign_in(page: Page, server: LiveServer, language: str, username: str) -> None:
    page.goto(f"{server.url}/{language}/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form.form button[type=submit]").click()


@pytest.mark.parametrize(
    ("language", "headline"),
    [
        ("kk", "Мемлекеттік қызметтер бойынша тәулік бойы көмек"),
        ("ru", "Помощь по государственным услугам круглосуточно"),
        ("en", "Help with public services, around the clock"),
    ],
    ids=["kk", "ru", "en"],
)
def test_landing_page_in_each_language(
    page: Page, live_server: LiveServer, screenshot: Screenshot, language: str, headline: str
) -> None:
    page.goto(f"{live_server.url}/{language}/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.get_by_role("heading", level=1)).to_have_text(headline)
    expect(page.get_by_role("banner")).to_contain_text("Qoldau")
    expect(page.get_by_role("contentinfo")).to_be_visible()
    # The stylesheet and the vendored htmx load from our own server.
    assert page.evaluate("getComputedStyle(document.body).display") == "flex"
    assert page.evaluate("typeof window.htmx") == "object"
    screenshot(page, f"landing-{language}")


def test_visitor_without_a_language_gets_kazakh_first(
    browser: Browser, live_server: LiveServer
) -> None:
    context = browser.new_context(locale="kk-KZ")
    page = context.new_page()
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(f"{live_server.url}/kk/")
    context.close()


def test_operator_signs_in_switches_to_kazakh_and_sees_the_kazakh_home(
    page: Page, live_server: LiveServer, screenshot: Screenshot
) -> None:
    operator = _operator(language="en")
    page.goto(f"{live_server.url}/en/login/")
    screenshot(page, "sign-in-en")
    _sign_in(page, live_server, "en", operator.username)
    expect(page).to_have_url(f"{live_server.url}/en/home/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Aigul Serikova")
    expect(page.locator("#role-operator")).to_have_text("Operator")

    page.get_by_role("button", name="Қазақша").click()
    expect(page).to_have_url(f"{live_server.url}/kk/home/")
    expect(page.locator("html")).to_have_attribute("lang", "kk")
    expect(page.get_by_role("heading", level=1)).to_have_text("Қош келдіңіз, Aigul Serikova")
    expect(page.get_by_role("navigation", name="Негізгі мәзір")).to_contain_text("Басты бет")
    expect(page.get_by_role("button", name="Шығу")).to_be_visible()
    expect(page.get_by_role("button", name="Қазақша")).to_have_attribute("aria-current", "true")
    operator.refresh_from_db()
    assert operator.language == "kk"
    screenshot(page, "home-operator-kk")


def test_language_choice_is_remembered_after_signing_out_and_in(
    browser: Browser, page: Page, live_server: LiveServer
) -> None:
    operator = _operator(language="en")
    _sign_in(page, live_server, "en", operator.username)
    page.get_by_role("button", name="Русский").click()
    expect(page).to_have_url(f"{live_server.url}/ru/home/")

    page.get_by_role("button", name="Выйти").click()
    expect(page).to_have_url(f"{live_server.url}/ru/")
    expect(page.get_by_role("link", name="Войти").first).to_be_visible()

    # Signing in from a page in another language brings the person back to Russian.
    _sign_in(page, live_server, "kk", operator.username)
    expect(page).to_have_url(f"{live_server.url}/ru/home/")
    expect(page.locator("html")).to_have_attribute("lang", "ru")

    # So does a browser that has never been here: the choice is the person's, not the cookie's.
    other = browser.new_context(locale="en-US")
    fresh = other.new_page()
    _sign_in(fresh, live_server, "en", operator.username)
    expect(fresh).to_have_url(f"{live_server.url}/ru/home/")
    cookies = {c["name"]: c["value"] for c in other.cookies()}
    assert cookies["qoldau_language"] == "ru"
    other.close()


def test_wrong_password_is_announced_and_keeps_the_person_out(
    page: Page, live_server: LiveServer
) -> None:
    _operator()
    page.goto(f"{live_server.url}/kk/login/")
    page.locator("#id_username").fill("aigul")
    page.locator("#id_password").fill("not the password")
    page.locator("form.form button[type=submit]").click()
    expect(page.get_by_role("alert")).to_contain_text("дұрыс емес")
    expect(page).to_have_url(re.compile(r"/kk/login/$"))


def test_keyboard_reaches_the_content_through_the_skip_link(
    page: Page, live_server: LiveServer
) -> None:
    page.goto(f"{live_server.url}/en/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    assert skip.bounding_box() is not None
    assert (skip.bounding_box() or {"y": -1})["y"] >= 0
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#content$"))
    # From the top of the page, the language switch is a few Tab presses away.
    page.goto(f"{live_server.url}/en/")
    names = []
    for _ in range(6):
        page.keyboard.press("Tab")
        names.append(page.evaluate("document.activeElement.textContent.trim()"))
    assert "Қазақша" in names


def test_phone_screen_has_no_sideways_scrolling(
    browser: Browser, live_server: LiveServer, screenshot: Screenshot
) -> None:
    operator = _operator()
    context = browser.new_context(viewport={"width": 375, "height": 740}, locale="en-US")
    page = context.new_page()
    for path in ("/kk/", "/ru/login/"):
        page.goto(f"{live_server.url}{path}")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
    _sign_in(page, live_server, "kk", operator.username)
    expect(page).to_have_url(f"{live_server.url}/en/home/")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "home-phone")
    page.goto(f"{live_server.url}/kk/")
    screenshot(page, "landing-phone")
    context.close()


def test_operator_signs_in_switches_to_kazakh_and_opens_a_public_services_card(
    page: Page, live_server: LiveServer, screenshot: Screenshot
) -> None:
    """The issue's acceptance path: sign in, switch to Kazakh, open a public service's card."""
    owner = Organisation.objects.create(
        kind=OrganisationKind.CENTRAL_STATE_BODY,
        name_kk="Қазақстан Республикасының Әділет министрлігі",
        name_ru="Министерство юстиции Республики Казахстан",
        name_en="Ministry of Justice of the Republic of Kazakhstan",
    )
    PublicService.objects.create(
        register_number="702001",
        name_kk="Мемлекеттік тіркеуге алу",
        name_ru="Государственная регистрация",
        name_en="State registration",
        owner=owner,
    )
    operator = _operator(language="ru")
    _sign_in(page, live_server, "ru", operator.username)
    expect(page).to_have_url(f"{live_server.url}/ru/home/")

    page.get_by_role("button", name="Қазақша").click()
    expect(page).to_have_url(f"{live_server.url}/kk/home/")
    menu = page.get_by_role("navigation", name="Негізгі мәзір")
    menu.get_by_role("link", name="Мемлекеттік көрсетілетін қызметтер").click()
    expect(page).to_have_url(re.compile(r"/kk/registry/services/$"))
    page.get_by_role("link", name="Мемлекеттік тіркеуге алу").click()

    expect(page).to_have_url(re.compile(r"/kk/registry/services/\d+/$"))
    expect(page.locator("html")).to_have_attribute("lang", "kk")
    expect(page.get_by_role("heading", level=1)).to_have_text("Мемлекеттік тіркеуге алу")
    expect(page.get_by_role("main")).to_contain_text("702001")
    expect(page.get_by_role("main")).to_contain_text("Әділет министрлігі")
    screenshot(page, "service-card-kk")
