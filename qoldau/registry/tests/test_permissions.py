"""R2: a partner body's person sees and changes only its own body's private part of the registry,
over the API and on the pages; denied requests change nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from qoldau.accounts.enums import Role
from qoldau.audit.models import AuditEvent
from qoldau.registry.models import Organisation, OrganisationContact, PublicService
from qoldau.registry.tests.conftest import Partner
from qoldau.registry.tests.factories import make_user

API = "/api/v1/registry"
pytestmark = pytest.mark.django_db


def _get(client: Client, path: str, key: str) -> Any:
    return client.get(f"{API}{path}", headers={"X-API-Key": key}).json()


def _signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- reading over the API ---------------------------------------------------------------------


def test_partner_sees_own_private_contacts(client: Client, org_a: Partner, org_b: Partner) -> None:
    body = _get(client, f"/organisations/{org_a.organisation.pk}", org_a.key)
    assert body["private_visible"] is True
    assert {c["value"] for c in body["contacts"]} == {"+77172000001", "+77011112233"}


def test_partner_does_not_see_other_bodys_private_contacts(
    client: Client, org_a: Partner, org_b: Partner
) -> None:
    body = _get(client, f"/organisations/{org_b.organisation.pk}", org_a.key)
    assert body["private_visible"] is False
    assert [c["value"] for c in body["contacts"]] == ["+77172000001"]


def test_partner_does_not_see_other_bodys_responsible_person_contacts(
    client: Client, org_a: Partner, org_b: Partner
) -> None:
    other = _get(client, f"/services/{org_b.service.pk}", org_a.key)["responsible_persons"][0]
    assert other["full_name"] == org_b.person.full_name
    assert other["phones"] is None
    assert other["email"] is None
    assert other["contacts_visible"] is False
    own = _get(client, f"/services/{org_a.service.pk}", org_a.key)["responsible_persons"][0]
    assert own["phones"] == ["+77015556677"]
    assert own["email"] == "secret@alpha.example"


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.QUALITY_OFFICER])
def test_contact_center_and_authorized_bodies_see_private_contacts(
    client: Client, org_b: Partner, ucc: Organisation, role: str
) -> None:
    user = make_user(organisation=ucc, roles=[role])
    signed_in = _signed_in(user)
    card = signed_in.get(f"{API}/services/{org_b.service.pk}").json()
    assert card["responsible_persons"][0]["phones"] == ["+77015556677"]
    organisation = signed_in.get(f"{API}/organisations/{org_b.organisation.pk}").json()
    assert len(organisation["contacts"]) == 2


# --- changing over the API --------------------------------------------------------------------


def test_partner_changes_own_service(client: Client, org_a: Partner) -> None:
    response = client.patch(
        f"{API}/services/{org_a.service.pk}",
        {"name_ru": "Обновлённое название"},
        content_type="application/json",
        headers={"X-API-Key": org_a.key},
    )
    assert response.status_code == 200
    org_a.service.refresh_from_db()
    assert org_a.service.name_ru == "Обновлённое название"


def test_partner_cannot_change_other_bodys_service(
    client: Client, org_a: Partner, org_b: Partner
) -> None:
    audit_before = AuditEvent.objects.count()
    response = client.patch(
        f"{API}/services/{org_b.service.pk}",
        {"name_ru": "Захват"},
        content_type="application/json",
        headers={"X-API-Key": org_a.key},
    )
    assert response.status_code == 403
    org_b.service.refresh_from_db()
    assert org_b.service.name_ru != "Захват"
    assert AuditEvent.objects.count() == audit_before


def test_partner_cannot_hand_own_service_to_another_body(
    client: Client, org_a: Partner, org_b: Partner
) -> None:
    response = client.patch(
        f"{API}/services/{org_a.service.pk}",
        {"owner_id": org_b.organisation.pk},
        content_type="application/json",
        headers={"X-API-Key": org_a.key},
    )
    assert response.status_code == 403
    org_a.service.refresh_from_db()
    assert org_a.service.owner_id == org_a.organisation.pk


def test_partner_cannot_create_a_service_for_another_body(
    client: Client, org_a: Partner, org_b: Partner
) -> None:
    response = client.post(
        f"{API}/services",
        {
            "register_number": "555",
            "name_kk": "А",
            "name_ru": "А",
            "owner_id": org_b.organisation.pk,
        },
        content_type="application/json",
        headers={"X-API-Key": org_a.key},
    )
    assert response.status_code == 403
    assert not PublicService.objects.filter(register_number="555").exists()


def test_partner_cannot_change_other_body_or_its_contacts(
    client: Client, org_a: Partner, org_b: Partner
) -> None:
    patch = client.patch(
        f"{API}/organisations/{org_b.organisation.pk}",
        {"website": "https://evil.example"},
        content_type="application/json",
        headers={"X-API-Key": org_a.key},
    )
    assert patch.status_code == 403
    contact = client.post(
        f"{API}/organisations/{org_b.organisation.pk}/contacts",
        {"kind": "email", "value": "x@evil.example"},
        content_type="application/json",
        headers={"X-API-Key": org_a.key},
    )
    assert contact.status_code == 403
    org_b.organisation.refresh_from_db()
    assert org_b.organisation.website == ""
    assert OrganisationContact.objects.filter(organisation=org_b.organisation).count() == 2


def test_partner_cannot_create_organisations_nor_change_own_bin(
    client: Client, org_a: Partner
) -> None:
    created = client.post(
        f"{API}/organisations",
        {"kind": "service_provider", "name_kk": "Ж", "name_ru": "Ж"},
        content_type="application/json",
        headers={"X-API-Key": org_a.key},
    )
    assert created.status_code == 403
    bin_change = client.patch(
        f"{API}/organisations/{org_a.organisation.pk}",
        {"bin": None},
        content_type="application/json",
        headers={"X-API-Key": org_a.key},
    )
    assert bin_change.status_code == 403
    assert bin_change.json()["field"] == "bin"
    org_a.organisation.refresh_from_db()
    assert org_a.organisation.bin


def test_operator_reads_but_cannot_change(
    client: Client, org_a: Partner, operator_user: Any
) -> None:
    signed_in = _signed_in(operator_user)
    response = signed_in.patch(
        f"{API}/services/{org_a.service.pk}",
        {"name_ru": "Нет"},
        content_type="application/json",
    )
    assert response.status_code == 403


def test_partner_cannot_replace_other_bodys_person(
    client: Client, org_a: Partner, org_b: Partner
) -> None:
    response = client.post(
        f"{API}/responsible-persons/{org_b.person.pk}/replace",
        {"replaced_on": "2024-01-01", "successor": {"full_name": "Кто-то"}},
        content_type="application/json",
        headers={"X-API-Key": org_a.key},
    )
    assert response.status_code == 403
    org_b.person.refresh_from_db()
    assert org_b.person.replaced_on is None


# --- the pages --------------------------------------------------------------------------------


def test_service_page_hides_other_bodys_person_contacts(org_a: Partner, org_b: Partner) -> None:
    page = _signed_in(org_a.user).get(reverse("registry:service_detail", args=[org_b.service.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert org_b.person.full_name in html
    assert "+77015556677" not in html
    assert "secret@bravo.example" not in html


def test_service_page_shows_own_person_contacts(org_a: Partner) -> None:
    page = _signed_in(org_a.user).get(reverse("registry:service_detail", args=[org_a.service.pk]))
    html = page.content.decode()
    assert "+77015556677" in html
    assert "secret@alpha.example" in html


def test_organisation_page_hides_other_bodys_private_contacts(
    org_a: Partner, org_b: Partner
) -> None:
    html = (
        _signed_in(org_a.user)
        .get(reverse("registry:organisation_detail", args=[org_b.organisation.pk]))
        .content.decode()
    )
    assert "+77172000001" in html
    assert "+77011112233" not in html
    own = (
        _signed_in(org_a.user)
        .get(reverse("registry:organisation_detail", args=[org_a.organisation.pk]))
        .content.decode()
    )
    assert "+77011112233" in own


def test_partner_cannot_open_import_or_export(org_a: Partner) -> None:
    signed_in = _signed_in(org_a.user)
    assert signed_in.get(reverse("registry:import")).status_code == 403
    assert signed_in.get(reverse("registry:export")).status_code == 403
