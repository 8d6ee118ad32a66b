"""Appeals in a real browser: an operator registers an appeal during a contact in Russian and in
Kazakh, with the keyboard, and closes it with the measures taken (R8, R34)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from qoldau.accounts.enums import Role
from qoldau.accounts.services import user_create
from qoldau.appeals.models import Appeal
from qoldau.appeals.tests.reference import ensure_reference_data

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Correct-Horse-1414"
Screenshot = Callable[[Page, str], Path]

TEXTS = {
    "ru": {
        "question": "Как получить справку о несудимости?",
        "register": "Зарегистрировать",
        "registered": "Зарегистрировано",
        "take": "Взять в работу",
        "in_progress": "В работе",
        "measures": "Дана консультация по порядку получения справки.",
        "close": "Закрыть обращение",
        "closed": "Закрыто",
        "history": "Закрыто.",
    },
    "kk": {
        "question": "Соттылығы жоқтығы туралы анықтаманы қалай алуға болады?",
        "register": "Тіркеу",
        "registered": "Тіркелді",
        "take": "Жұмысқа алу",
        "in_progress": "Жұмыста",
        "measures": "Анықтаманы алу тәртібі бойынша кеңес берілді.",
        "close": "Өтінішті жабу",
        "closed": "Жабылды",
        "history": "Жабылды.",
    },
}


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_operator_registers_and_closes_an_appeal(
    page: Page, live_server: LiveServer, screenshot: Screenshot, language: str
) -> None:
    text = TEXTS[language]
    # The lines, the Rules and the calendar come from data migrations, which an earlier
    # transactional test in this process may have flushed.
    ensure_reference_data()
    user_create(
        username=f"operator-{language}",
        password=PASSWORD,
        organisation_id=None,
        roles=[Role.OPERATOR],
        first_name="Aigul",
        last_name="Serikova",
        language=language,
    )
    page.goto(f"{live_server.url}/{language}/login/")
    page.locator("#id_username").fill(f"operator-{language}")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form.form button[type=submit]").click()
    expect(page).to_have_url(f"{live_server.url}/{language}/home/")

    page.goto(f"{live_server.url}/{language}/appeals/new/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    # The question is focused: the operator types at once and registers with Ctrl+Enter.
    expect(page.locator("#id_content")).to_be_focused()
    page.keyboard.type(text["question"])
    page.locator("#id_phone").fill("8 701 123 45 67")
    page.locator("#id_language").select_option(language)
    screenshot(page, f"appeal-new-{language}")
    page.locator("#id_content").press("Control+Enter")
    page.wait_for_url(re.compile(rf"/{language}/appeals/\d+/$"), timeout=30_000)

    expect(page.locator("#appeal-status")).to_have_text(text["registered"])
    appeal = Appeal.objects.get()
    expect(page.get_by_role("heading", level=1)).to_contain_text(appeal.number)
    expect(page.locator("body")).not_to_contain_text("+77011234567")  # masked

    page.get_by_role("button", name=text["take"]).click()
    expect(page.locator("#appeal-status")).to_have_text(text["in_progress"])
    page.locator("details:has(#close-measures) > summary").click()
    page.locator("#close-measures").fill(text["measures"])
    page.get_by_role("button", name=text["close"]).click()
    expect(page.locator("#appeal-status")).to_have_text(text["closed"])
    expect(page.locator("#appeal-history")).to_contain_text(text["history"])
    screenshot(page, f"appeal-closed-{language}")
    appeal.refresh_from_db()
    assert appeal.status == "closed"
    assert appeal.measures_taken == text["measures"]
    assert appeal.language == language
