"""The landing page, sign-in and sign-out, home, error pages and the language (R34)."""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory
from django.utils import translation
from django.views import defaults

from qoldau.accounts.enums import Role
from qoldau.accounts.models import User
from qoldau.registry.enums import OrganisationKind
from qoldau.registry.models import Organisation
from qoldau.web.tests.conftest import PASSWORD, MakeUser

WEB_LOCALE = Path(__file__).resolve().parent.parent / "locale"
LANGUAGES = ["kk", "ru", "en"]


def _translated_msgids(language: str) -> set[str]:
    catalogue = polib.pofile(str(WEB_LOCALE / language / "LC_MESSAGES" / "django.po"))
    return {e.msgid for e in catalogue.translated_entries() if e.msgstr != e.msgid}


def _visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.mark.parametrize("language", LANGUAGES)
def test_landing_page_in_each_language(client: Client, language: str) -> None:
    response = client.get(f"/{language}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{language}">' in html
    assert 'href="#content"' in html
    assert 'id="content"' in html
    assert "/static/vendor/htmx/htmx.min.js" in html
    assert f'href="/{language}/login/"' in html
    # The language switch offers every language under its own name, Kazakh first.
    assert html.index(">Қазақша<") < html.index(">Русский<") < html.index(">English<")
    assert 'name="next" value="/' + language + '/"' in html


def test_landing_page_headline_in_kazakh_and_russian(client: Client) -> None:
    kk = client.get("/kk/").content.decode()
    ru = client.get("/ru/").content.decode()
    en = client.get("/en/").content.decode()
    assert "Help with public services, around the clock" in en
    assert "Мемлекеттік қызметтер бойынша тәулік бойы көмек" in kk
    assert "Помощь по государственным услугам круглосуточно" in ru


@pytest.mark.parametrize("path", ["/{lang}/", "/{lang}/login/", "/{lang}/home/"])
def test_kazakh_pages_have_no_english_leftovers(
    client: Client, make_user: MakeUser, path: str
) -> None:
    """Every string of our catalogue that shows on the English page is translated on the
    Kazakh one (and on the Russian one)."""
    user = make_user(roles=list(Role.values))
    if "home" in path:
        client.force_login(user)
    english = _visible_text(client.get(path.format(lang="en")).content.decode())
    catalogue = polib.pofile(str(WEB_LOCALE / "kk" / "LC_MESSAGES" / "django.po"))
    shown = [e.msgid for e in catalogue if "%" not in e.msgid and e.msgid in english]
    assert len(shown) > 5
    for language in ("kk", "ru"):
        text = _visible_text(client.get(path.format(lang=language)).content.decode())
        translated = _translated_msgids(language)
        leftovers = [m for m in shown if m in translated and m in text]
        assert leftovers == [], language
    kk = _visible_text(client.get(path.format(lang="kk")).content.decode())
    for english_word in ("Sign in", "Sign out", "Skip to main content", "Home", "Welcome"):
        assert english_word not in kk


def test_home_requires_sign_in(client: Client) -> None:
    response = client.get("/ru/home/")
    assert response.status_code == 302
    assert response["Location"] == "/ru/login/?next=/ru/home/"


def test_home_greets_the_person_and_names_their_organisation(
    client: Client, make_user: MakeUser
) -> None:
    organisation = Organisation.objects.create(
        kind=OrganisationKind.CENTRAL_STATE_BODY,
        name_kk="Әділет министрлігі",
        name_ru="Министерство юстиции",
        name_en="Ministry of Justice",
    )
    user = make_user(
        roles=[Role.RESPONSIBLE_PERSON],
        organisation_id=organisation.pk,
        first_name="Айгүл",
        last_name="Серікова",
    )
    client.force_login(user)
    kk = client.get("/kk/home/").content.decode()
    ru = client.get("/ru/home/").content.decode()
    assert "Айгүл Серікова" in kk
    assert "Әділет министрлігі" in kk
    assert "Министерство юстиции" in ru
    assert 'action="/kk/logout/"' in kk


@pytest.mark.parametrize(("saved", "page"), [("ru", "kk"), ("kk", "en"), ("en", "ru")])
def test_sign_in_sets_the_language_cookie_and_opens_home_in_the_persons_language(
    client: Client, make_user: MakeUser, saved: str, page: str
) -> None:
    user = make_user(roles=[Role.OPERATOR], language=saved)
    response = client.post(f"/{page}/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == f"/{saved}/home/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == saved
    assert client.get(response["Location"]).status_code == 200


def test_sign_in_returns_to_the_page_asked_for_in_the_persons_language(
    client: Client, make_user: MakeUser
) -> None:
    user = make_user(roles=[Role.OPERATOR], language="ru")
    response = client.post(
        "/kk/login/?next=/kk/home/", {"username": user.username, "password": PASSWORD}
    )
    assert response["Location"] == "/ru/home/"


def test_sign_in_ignores_an_outside_next_address(client: Client, make_user: MakeUser) -> None:
    user = make_user(roles=[Role.OPERATOR], language="kk")
    response = client.post(
        "/en/login/",
        {"username": user.username, "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response["Location"] == "/kk/home/"


def test_wrong_password_is_refused_in_the_pages_language(
    client: Client, make_user: MakeUser
) -> None:
    user = make_user(roles=[Role.OPERATOR])
    response = client.post("/kk/login/", {"username": user.username, "password": "wrong"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'role="alert"' in html
    assert "Пайдаланушы аты немесе құпия сөз дұрыс емес" in html
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    assert "_auth_user_id" not in client.session


def test_empty_sign_in_form_names_the_fields(client: Client) -> None:
    response = client.post("/ru/login/", {"username": "", "password": ""})
    html = response.content.decode()
    assert 'aria-invalid="true"' in html
    assert 'id="id_username_error"' in html
    assert "Введите имя пользователя." in html


def test_signed_in_person_visiting_sign_in_goes_home(client: Client, make_user: MakeUser) -> None:
    client.force_login(make_user(roles=[Role.OPERATOR], language="en"))
    response = client.get("/kk/login/")
    assert response.status_code == 302
    assert response["Location"] == "/en/home/"
    # A "next" pointing back at the sign-in page must not loop.
    assert client.get("/kk/login/?next=/kk/login/")["Location"] == "/en/home/"


def test_sign_out_is_a_post_and_returns_to_the_landing_page(
    client: Client, make_user: MakeUser
) -> None:
    client.force_login(make_user(roles=[Role.OPERATOR]))
    assert client.get("/ru/logout/").status_code == 405
    response = client.post("/ru/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/ru/"
    assert client.get("/ru/home/").status_code == 302


def test_language_switch_saves_the_persons_language(client: Client, make_user: MakeUser) -> None:
    user = make_user(roles=[Role.OPERATOR], language="en")
    client.force_login(user)
    response = client.post("/i18n/setlang/", {"language": "kk", "next": "/en/home/"})
    assert response.status_code == 302
    assert response["Location"] == "/kk/home/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "kk"
    assert User.objects.get(pk=user.pk).language == "kk"


def test_language_switch_form_on_every_page(client: Client, make_user: MakeUser) -> None:
    client.force_login(make_user(roles=[Role.OPERATOR]))
    html = client.get("/ru/home/").content.decode()
    form = re.search(r'<form class="lang-switch".*?</form>', html, re.S)
    assert form is not None
    assert 'action="/i18n/setlang/"' in form.group(0)
    assert 'name="csrfmiddlewaretoken"' in form.group(0)
    assert 'name="next" value="/ru/home/"' in form.group(0)
    assert 'value="ru" lang="ru" class="lang-switch__option" aria-current="true"' in form.group(0)
    assert "<legend" in form.group(0)


def test_not_found_page_in_kazakh(client: Client) -> None:
    response = client.get("/kk/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert '<html lang="kk">' in html
    assert "Бет табылмады" in html
    assert "Page not found" not in html


@pytest.mark.parametrize(
    ("language", "expected"),
    [("kk", "Бұл бетті ашуға рұқсатыңыз жоқ"), ("ru", "Доступ запрещён"), ("en", "Access denied")],
)
def test_forbidden_page_in_each_language(language: str, expected: str) -> None:
    request = RequestFactory().get(f"/{language}/somewhere/")
    request.user = AnonymousUser()
    with translation.override(language):
        response = defaults.permission_denied(request, PermissionDenied())
    html = response.content.decode()
    assert response.status_code == 403
    assert expected in html
    assert f'<html lang="{language}">' in html


def test_server_error_page_stands_alone_in_three_languages() -> None:
    request = RequestFactory().get("/kk/")
    response = defaults.server_error(request)
    html = response.content.decode()
    assert response.status_code == 500
    assert "qoldau.css" not in html
    assert "Сервер қатесі" in html
    assert "Ошибка сервера" in html
    assert "Server error" in html
    for language in LANGUAGES:
        assert f'<section lang="{language}">' in html


def test_vendored_assets_are_found() -> None:
    for asset in ("vendor/htmx/htmx.min.js", "vendor/htmx/LICENSE", "web/qoldau.css"):
        assert finders.find(asset), asset
