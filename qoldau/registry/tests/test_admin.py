"""The admin: pages open, and saves go through the services (validated and audited)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from qoldau.accounts.services import user_create
from qoldau.audit.models import AuditEvent
from qoldau.registry.models import ByLaw, Organisation
from qoldau.registry.tests.conftest import Partner
from qoldau.registry.tests.factories import PASSWORD, fresh_bin

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client() -> Client:
    user = user_create(
        username="root", password=PASSWORD, organisation_id=None, roles=[],
        is_staff=True, is_superuser=True, language="en",
    )  # fmt: skip
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "model", ["region", "organisation", "bylaw", "publicservice", "responsibleperson"]
)
def test_admin_pages_open(superuser_client: Client, org_a: Partner, model: str) -> None:
    assert superuser_client.get(reverse(f"admin:registry_{model}_changelist")).status_code == 200
    assert superuser_client.get(reverse(f"admin:registry_{model}_add")).status_code == 200


def test_admin_change_pages_open(superuser_client: Client, org_a: Partner) -> None:
    for model, pk in [
        ("organisation", org_a.organisation.pk),
        ("publicservice", org_a.service.pk),
        ("bylaw", org_a.bylaw.pk),
        ("responsibleperson", org_a.person.pk),
    ]:
        response = superuser_client.get(reverse(f"admin:registry_{model}_change", args=[pk]))
        assert response.status_code == 200, model


def _organisation_form(**overrides: str) -> dict[str, str]:
    data = {
        "kind": "service_provider",
        "name_kk": "Сынақ ұйымы",
        "name_ru": "Тестовая организация",
        "bin": fresh_bin(),
        "phone": "8 701 123 45 67",
        "is_active": "on",
        "contacts-TOTAL_FORMS": "1",
        "contacts-INITIAL_FORMS": "0",
        "contacts-0-kind": "email",
        "contacts-0-value": "info@test.example",
        "contacts-0-is_public": "on",
        "contacts-0-position": "0",
    }
    return data | overrides


def test_admin_add_goes_through_the_services(superuser_client: Client) -> None:
    response = superuser_client.post(
        reverse("admin:registry_organisation_add"), _organisation_form()
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    organisation = Organisation.objects.get(name_ru="Тестовая организация")
    assert organisation.phone == "+77011234567"
    assert organisation.search_text
    assert organisation.contacts.get().value == "info@test.example"
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"registry.organisation_created", "registry.contact_added"} <= actions


def test_admin_shows_service_field_errors(superuser_client: Client) -> None:
    response = superuser_client.post(
        reverse("admin:registry_organisation_add"),
        _organisation_form(phone="+1 202 555 0143", **{"contacts-0-value": "+1"}),
    )
    assert response.status_code == 200
    assert "phone" in response.context["adminform"].form.errors
    assert not Organisation.objects.filter(name_ru="Тестовая организация").exists()


def test_admin_records_a_bylaw_change_through_the_service(
    superuser_client: Client, org_a: Partner
) -> None:
    bylaw = org_a.bylaw
    url = reverse("admin:registry_bylaw_change", args=[bylaw.pk])
    data = {
        "kind": bylaw.kind,
        "title_kk": bylaw.title_kk,
        "title_ru": bylaw.title_ru,
        "number": bylaw.number,
        "adopted_on": bylaw.adopted_on.isoformat(),
        "justice_registration_number": bylaw.justice_registration_number,
        "amendments-TOTAL_FORMS": "1",
        "amendments-INITIAL_FORMS": "0",
        "amendments-0-amended_on": "2023-01-05",
        "amendments-0-number": "5",
        "amendments-0-title_kk": "Өзгерістер енгізу туралы",
        "amendments-0-title_ru": "О внесении изменений",
    }
    response = superuser_client.post(url, data)
    assert response.status_code == 302
    assert ByLaw.objects.get(pk=bylaw.pk).amendments.get().number == "5"
    assert AuditEvent.objects.filter(action="registry.bylaw_amended").exists()
