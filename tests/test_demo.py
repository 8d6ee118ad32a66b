"""The demo a newcomer starts: every role can sign in and see its home page in kk, ru and en."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from config.demo_users import DEMO_ACCOUNTS
from qoldau.accounts.models import User
from qoldau.registry.enums import OrganisationKind
from qoldau.registry.models import Organisation, PublicService, Region

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_output() -> str:
    out = StringIO()
    call_command("demo", "--no-serve", stdout=out)
    return out.getvalue()


def test_demo_loads_regions_organisations_services_and_accounts(demo_output: str) -> None:
    assert Region.objects.count() == 20
    kinds = set(Organisation.objects.values_list("kind", flat=True))
    assert kinds == set(OrganisationKind.values)
    assert 25 <= Organisation.objects.count() <= 40
    assert 45 <= PublicService.objects.count() <= 60
    assert User.objects.filter(username__in=[a.username for a in DEMO_ACCOUNTS]).count() == len(
        DEMO_ACCOUNTS
    )
    for account in DEMO_ACCOUNTS:
        assert re.search(
            rf"^\s+{account.username}\s+{re.escape(account.password)}\s", demo_output, re.M
        )


def test_demo_is_idempotent(demo_output: str) -> None:
    counts = (Organisation.objects.count(), PublicService.objects.count(), User.objects.count())
    call_command("demo", "--no-serve", stdout=StringIO())
    assert (
        Organisation.objects.count(),
        PublicService.objects.count(),
        User.objects.count(),
    ) == counts


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_every_demo_role_signs_in_and_sees_its_home(demo_output: str, language: str) -> None:
    for account in DEMO_ACCOUNTS:
        client = Client()
        assert client.login(username=account.username, password=account.password), account.username
        response = client.get(f"/{language}/home/")
        assert response.status_code == 200, (account.username, language)
        assert f'lang="{language}"' in response.content.decode()
