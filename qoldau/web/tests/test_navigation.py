"""R2: each role sees its own navigation, and only links that resolve."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import translation

from qoldau.accounts.enums import Role
from qoldau.web import navigation
from qoldau.web.navigation import NAVIGATION, NavItem, RoleSection, navigation_sections
from qoldau.web.tests.conftest import PASSWORD, MakeUser

STUB_URLS = "qoldau.web.tests.urls"
pytestmark = pytest.mark.urls(STUB_URLS)


def _href(url_name: str) -> str:
    with translation.override("en"):
        return f'href="{reverse(url_name)}"'


def _resolves(url_name: str) -> bool:
    try:
        _href(url_name)
    except NoReverseMatch:
        return False
    return True


def _home_html(client: Client, username: str) -> str:
    assert client.login(username=username, password=PASSWORD)
    response = client.get("/en/home/")
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("role", list(NAVIGATION))
def test_each_role_sees_its_navigation_and_not_others(
    client: Client, make_user: MakeUser, role: str
) -> None:
    user = make_user(roles=[role], is_staff=True)
    html = _home_html(client, user.username)

    # Every row resolves in the stub configuration except admin pages of models that another
    # app has not registered yet (accounts' users).
    own = {item.url_name for item in NAVIGATION[role].items if _resolves(item.url_name)}
    others = {
        item.url_name
        for other, section in NAVIGATION.items()
        if other != role
        for item in section.items
        if _resolves(item.url_name)
    } - own
    assert own or not NAVIGATION[role].items
    for url_name in own:
        assert _href(url_name) in html, url_name
    for url_name in others:
        assert _href(url_name) not in html, url_name
    assert f'id="role-{role}"' in html
    assert str(NAVIGATION[role].title) in html
    for other in set(NAVIGATION) - {role}:
        assert f'id="role-{other}"' not in html


def test_operator_sees_knowledge_search_but_no_administration(
    client: Client, make_user: MakeUser
) -> None:
    user = make_user(roles=[Role.OPERATOR])
    html = _home_html(client, user.username)
    assert ">Knowledge search<" in html
    assert ">Public services<" in html
    assert "/en/admin/" not in html
    assert ">Registry import and export<" not in html
    assert ">Service hand-over<" not in html


def test_administration_site_link_needs_a_staff_account(
    client: Client, make_user: MakeUser
) -> None:
    user = make_user(roles=[Role.UCC_ADMIN], is_staff=False)
    html = _home_html(client, user.username)
    assert 'href="/en/admin/"' not in html
    assert _href("registry:import") in html


def test_person_with_two_roles_sees_a_section_each_and_each_link_once_in_the_menu(
    client: Client, make_user: MakeUser
) -> None:
    user = make_user(roles=[Role.OPERATOR, Role.KB_EDITOR])
    html = _home_html(client, user.username)
    assert 'id="role-operator"' in html
    assert 'id="role-kb_editor"' in html
    nav = re.search(r'<nav class="site-nav".*?</nav>', html, re.S)
    assert nav is not None
    assert nav.group(0).count(_href("knowledge:search")) == 1
    assert nav.group(0).count(_href("knowledge:article_list")) == 1
    # On the home page each role lists its own tools, shared ones included.
    assert html.count(_href("knowledge:search")) == 3


def test_person_without_roles_is_told_to_ask_for_one(client: Client, make_user: MakeUser) -> None:
    user = make_user(roles=[])
    html = _home_html(client, user.username)
    assert "No role has been given to your account yet" in html
    assert 'class="role"' not in html


def test_superuser_without_roles_gets_the_administrators_tools(
    client: Client, make_user: MakeUser
) -> None:
    user = make_user(roles=[], is_staff=True, is_superuser=True)
    html = _home_html(client, user.username)
    assert 'id="role-ucc_admin"' in html
    assert 'href="/en/admin/"' in html


@pytest.mark.urls("config.urls")
def test_links_whose_page_does_not_exist_are_left_out(
    client: Client, make_user: MakeUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    planned = NavItem("nowhere:planned_page", "Planned page", "Comes later.")
    section = NAVIGATION[Role.OPERATOR]
    monkeypatch.setitem(
        NAVIGATION,
        Role.OPERATOR,
        RoleSection(section.title, section.welcome, (*section.items, planned)),
    )
    user = make_user(roles=[Role.OPERATOR])
    html = _home_html(client, user.username)
    assert "Planned page" not in html
    assert 'id="role-operator"' in html


@pytest.mark.urls("config.urls")
def test_role_without_pages_yet_gets_a_note_instead_of_links(
    client: Client, make_user: MakeUser
) -> None:
    user = make_user(roles=[Role.RECIPIENT])
    html = _home_html(client, user.username)
    assert "The tools for this role are being prepared" in html


def test_current_page_is_the_longest_matching_link(make_user: MakeUser) -> None:
    table: dict[str, RoleSection] = {
        Role.UCC_ADMIN: RoleSection(
            "Admin",
            "Welcome",
            (
                NavItem("admin:index", "Site", "All"),
                NavItem("admin:auth_group_changelist", "Groups", "Groups"),
            ),
        )
    }
    user = make_user(roles=[Role.UCC_ADMIN], is_staff=True)
    with translation.override("en"):
        sections = navigation_sections(user, "/en/admin/auth/group/3/change/", table)
        on_index = navigation_sections(user, "/en/admin/", table)
    assert [(link.label, link.current) for link in sections[0].links] == [
        ("Site", False),
        ("Groups", True),
    ]
    assert [link.current for link in on_index[0].links] == [True, False]


def test_table_rows_are_well_formed() -> None:
    assert set(NAVIGATION) == set(Role.values)
    for section in NAVIGATION.values():
        assert str(section.title)
        assert str(section.welcome)
        for item in section.items:
            assert ":" in item.url_name
            assert str(item.label)
            assert str(item.description)
    assert navigation.navigation_roles(None) == []
