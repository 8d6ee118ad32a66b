"""The operator's knowledge search in a real browser (R6): a spoken-style Kazakh question typed
into the search box finds the right article first, as you type; the operator opens it, switches
to Russian and copies the answer."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from qoldau.accounts.enums import Role
from qoldau.accounts.services import user_create
from qoldau.knowledge.importing import knowledge_import
from qoldau.knowledge.indexing import search_index_manager

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Correct-Horse-1414"
Screenshot = Callable[[Page, str], Path]


def _line(external_id: str, language: str, title: str, body: str, keywords: list[str]) -> bytes:
    record = {
        "external_id": external_id,
        "kind": "how_to",
        "language": language,
        "title": title,
        "body": body,
        "keywords": keywords,
        "service_code": None,
        "published": True,
    }
    return json.dumps(record, ensure_ascii=False).encode()


ARTICLES = [
    _line(
        "howto-ecp",
        "kk",
        "ЭЦҚ қалай алуға болады",
        "<p>Электрондық цифрлық қолтаңбаны (ЭЦҚ) pki.gov.kz сайтында, eGov Mobile қосымшасында "
        "немесе ХҚКО-да тегін алуға болады.</p><ol><li>NCALayer бағдарламасын орнатыңыз.</li>"
        "<li>ЖСН мен ұялы нөміріңізді енгізіңіз.</li><li>Бетті тану рәсімінен өтіңіз.</li></ol>",
        ["ЭЦҚ", "қолтаңба", "кілт"],
    ),
    _line(
        "howto-ecp",
        "ru",
        "Как получить ЭЦП",
        "<p>Электронную цифровую подпись (ЭЦП) можно бесплатно получить на pki.gov.kz, в "
        "приложении eGov Mobile или в ЦОН.</p><ol><li>Установите NCALayer.</li>"
        "<li>Введите ИИН и номер мобильного телефона.</li>"
        "<li>Пройдите распознавание лица.</li></ol>",
        ["ЭЦП", "подпись", "ключ"],
    ),
    _line(
        "howto-no-record",
        "kk",
        "Соттылығының болмауы туралы анықтаманы қалай алуға болады",
        "<p>Анықтаманы eGov порталында ЭЦҚ арқылы немесе ХҚКО-да алуға болады.</p>",
        ["анықтама", "сотталмағандық"],
    ),
    _line(
        "howto-no-record",
        "ru",
        "Справка о несудимости",
        "<p>Справку можно получить на портале eGov с ЭЦП или в ЦОН.</p>",
        ["справка", "судимость"],
    ),
    _line(
        "howto-address",
        "kk",
        "Тұрғылықты жері бойынша тіркелу",
        "<p>Жаңа мекенжайға тіркелуге eGov порталында ЭЦҚ-мен өтініш беруге болады.</p>",
        ["тіркеу", "прописка"],
    ),
    _line(
        "howto-address",
        "ru",
        "Регистрация по месту жительства",
        "<p>Прописаться можно на портале eGov, подписав заявление ЭЦП.</p>",
        ["прописка", "регистрация"],
    ),
]


def test_operator_finds_the_answer_to_a_spoken_kazakh_question_and_reads_it_in_russian(
    page: Page, live_server: LiveServer, screenshot: Screenshot
) -> None:
    search_index_manager().reset()
    knowledge_import(actor=None, stream=ARTICLES, source="browser-test")
    user_create(
        username="aigerim",
        password=PASSWORD,
        organisation_id=None,
        roles=[Role.OPERATOR],
        first_name="Айгерім",
        last_name="Сейітова",
        language="kk",
    )
    page.goto(f"{live_server.url}/kk/login/?next=/kk/knowledge/")
    page.locator("#id_username").fill("aigerim")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form.form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/kk/knowledge/$"))

    box = page.locator("#kb-q")
    expect(box).to_be_focused()  # the search box comes first and has the focus
    # As a citizen says it on the phone, with the suffixes of speech.
    spoken = "ЭЦҚ-ны қалай алсам болады"
    box.press_sequentially(spoken, delay=30)
    # Results arrive while typing; the list is swapped once more for the whole question. A click
    # whose press and release straddle that swap is no click at all, so wait for the last one.
    page.wait_for_function(
        "q => new URLSearchParams(location.search).get('q') === q"
        " && !document.querySelector('.htmx-request')",
        arg=spoken,
    )
    first = page.locator(".kb-result").first
    expect(first).to_contain_text("ЭЦҚ қалай алуға болады")  # results as you type, no Enter
    expect(first.locator("mark").first).to_have_text("ЭЦҚ")
    screenshot(page, "knowledge-search-kk")

    first.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("ЭЦҚ қалай алуға болады")
    expect(page.get_by_role("button", name="Жауапты көшіру")).to_be_visible()

    page.get_by_role("link", name="Русский", exact=True).last.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Как получить ЭЦП")
    expect(page.locator("#kb-answer")).to_have_attribute("lang", "ru")
    expect(page.locator("#kb-answer")).to_contain_text("Электронную цифровую подпись")
    page.get_by_role("button", name="Жауапты көшіру").click()
    expect(page.locator(".kb-copy__status")).to_have_text("Жауап көшірілді.")
    screenshot(page, "knowledge-article-ru")
