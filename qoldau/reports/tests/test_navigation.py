"""The supervisor's and the authorized bodies' menus lead to the wallboard and quality pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from qoldau.accounts.enums import Role
from qoldau.reports.tests.conftest import MakeUser
from qoldau.web.navigation import navigation_links, navigation_sections

pytestmark = pytest.mark.django_db


def _urls(user: object) -> list[str]:
    return [link.url for link in navigation_links(navigation_sections(user))]


def test_the_supervisor_menu_has_the_wallboard(user_with: MakeUser) -> None:
    urls = _urls(user_with(Role.SUPERVISOR))
    assert reverse("reports:wallboard") in urls


@pytest.mark.parametrize("role", [Role.INFORMATIZATION_OFFICER, Role.QUALITY_OFFICER])
def test_the_authorized_bodies_menu_has_the_quality_figures(user_with: MakeUser, role: str) -> None:
    urls = _urls(user_with(role))
    assert reverse("reports:quality") in urls
    assert reverse("reports:wallboard") not in urls


def test_the_operator_menu_has_neither(user_with: MakeUser) -> None:
    urls = _urls(user_with(Role.OPERATOR))
    assert reverse("reports:quality") not in urls
    assert reverse("reports:wallboard") not in urls
