"""The registry API: lists, cards, creation and changes, field errors, languages, query counts."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest
from django.test import Client

from qoldau.audit.models import AuditEvent
from qoldau.core.identifiers import synthetic_bin
from qoldau.registry.enums import AcceptanceStatus, OrganisationKind
from qoldau.registry.models import ByLawAmendment, Organisation, PublicService
from qoldau.registry.tests.conftest import Partner
from qoldau.registry.tests.factories import (
    AmendmentFactory,
    ByLawFactory,
    OrganisationFactory,
    ServiceFactory,
    fresh_bin,
    region,
)

API = "/api/v1/registry"
pytestmark = pytest.mark.django_db


def _wrong_check_digit(value: str) -> str:
    return value[:11] + str((int(value[11]) + 1) % 10)


def _key(key: str, language: str = "") -> dict[str, str]:
    headers = {"X-API-Key": key}
    return headers | {"Accept-Language": language} if language else headers


def _post(client: Client, url: str, body: dict[str, Any], key: str, language: str = "") -> Any:
    return client.post(url, body, content_type="application/json", headers=_key(key, language))


def _patch(client: Client, url: str, body: dict[str, Any], key: str, language: str = "") -> Any:
    return client.patch(url, body, content_type="application/json", headers=_key(key, language))


def _org_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "kind": OrganisationKind.CENTRAL_STATE_BODY,
        "name_kk": "Қазақстан Республикасы Сынақ министрлігі",
        "name_ru": "Министерство испытаний Республики Казахстан",
        "bin": fresh_bin(),
        "region": "710000000",
        "phone": "8 7172 74 00 00",
        "email": "kense@test.example",
    }
    return body | overrides


# --- authentication and reading ---------------------------------------------------------------


def test_anonymous_reader_gets_401(client: Client, org_a: Partner) -> None:
    response = client.get(f"{API}/services")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_regions_are_the_twenty_seeded_units(client: Client, admin_key: str) -> None:
    response = client.get(f"{API}/regions", headers=_key(admin_key))
    assert response.status_code == 200
    body = response.json()
    assert len(body) == 20
    astana = next(r for r in body if r["iso_code"] == "KZ-71")
    assert astana["kato"] == "710000000"
    assert astana["kind"] == "city"
    assert client.get(f"{API}/regions/KZ-10", headers=_key(admin_key)).json()["name_ru"] == (
        "Абайская область"
    )


def test_unknown_region_is_404(client: Client, admin_key: str) -> None:
    assert client.get(f"{API}/regions/999999999", headers=_key(admin_key)).status_code == 404


def test_organisation_list_filters_by_kind_region_and_query(
    client: Client, admin_key: str, org_a: Partner
) -> None:
    akimat = OrganisationFactory.create(
        kind=OrganisationKind.LOCAL_EXECUTIVE_BODY,
        name_ru="Акимат города Шымкент",
        region=region("KZ-79"),
    )
    by_kind = client.get(
        f"{API}/organisations", {"kind": "local_executive_body"}, headers=_key(admin_key)
    ).json()
    assert [o["id"] for o in by_kind["items"]] == [akimat.pk]
    by_region = client.get(
        f"{API}/organisations", {"region": "KZ-79"}, headers=_key(admin_key)
    ).json()
    assert [o["id"] for o in by_region["items"]] == [akimat.pk]
    found = client.get(f"{API}/organisations", {"query": "шымкент"}, headers=_key(admin_key)).json()
    assert found["count"] == 1


def test_unknown_region_filter_names_the_field(client: Client, admin_key: str) -> None:
    response = client.get(f"{API}/organisations", {"region": "000"}, headers=_key(admin_key))
    assert response.status_code == 422
    assert response.json()["field"] == "region"


def test_service_list_filters_by_organisation_region_status_and_query(
    client: Client, admin_key: str, org_a: Partner
) -> None:
    branch = OrganisationFactory.create(
        kind=OrganisationKind.SERVICE_PROVIDER, region=region("KZ-35")
    )
    provided = ServiceFactory.create(
        name_kk="Жүргізуші куәлігін ауыстыру",
        name_ru="Замена водительского удостоверения",
        providers=[branch],
        acceptance_status=AcceptanceStatus.CONSULTING,
    )
    headers = _key(admin_key)

    def ids(**params: Any) -> list[int]:
        return [
            s["id"] for s in client.get(f"{API}/services", params, headers=headers).json()["items"]
        ]

    assert ids(organisation=branch.pk) == [provided.pk]
    assert ids(organisation=org_a.organisation.pk) == [org_a.service.pk]
    assert ids(region="350000000") == [provided.pk]
    assert ids(status="consulting") == [provided.pk]
    assert ids(query="ВОДИТЕЛЬСКОГО") == [provided.pk]
    assert ids(query="куалигин") == [provided.pk]  # Kazakh typed on a Russian keyboard
    assert ids(query=provided.register_number) == [provided.pk]


def test_service_list_is_paginated(client: Client, admin_key: str) -> None:
    owner = OrganisationFactory.create()
    for _ in range(7):
        ServiceFactory.create(owner=owner)
    page = client.get(f"{API}/services", {"page": 2, "page_size": 5}, headers=_key(admin_key))
    body = page.json()
    assert body["count"] == 7
    assert body["page"] == 2
    assert len(body["items"]) == 2


@pytest.mark.parametrize(
    ("params", "field"), [({"page": 0}, "page"), ({"page_size": 1000}, "page_size")]
)
def test_bad_page_names_the_field(
    client: Client, admin_key: str, params: dict[str, Any], field: str
) -> None:
    response = client.get(f"{API}/services", params, headers=_key(admin_key))
    assert response.status_code == 422
    assert response.json()["field"] == field


def test_service_card_has_every_annex_1_field(
    client: Client, admin_key: str, org_a: Partner
) -> None:
    bylaw = org_a.bylaw
    AmendmentFactory.create(bylaw=bylaw, number="77", amended_on=dt.date(2023, 2, 1))
    AmendmentFactory.create(bylaw=bylaw, number="12", amended_on=dt.date(2021, 5, 5))
    body = client.get(f"{API}/services/{org_a.service.pk}", headers=_key(admin_key)).json()
    assert body["register_number"] == org_a.service.register_number
    assert body["name_kk"] == org_a.service.name_kk
    assert body["owner"]["id"] == org_a.organisation.pk
    assert body["info_url"] == "https://egov.kz/"
    assert body["bylaw"]["number"] == bylaw.number
    assert body["bylaw"]["justice_registration_number"] == bylaw.justice_registration_number
    assert [a["number"] for a in body["bylaw"]["amendments"]] == ["12", "77"]  # by date
    person = body["responsible_persons"][0]
    assert person["full_name"] == org_a.person.full_name
    assert person["phones"] == ["+77015556677"]  # the contact center sees contacts
    assert body["acceptance"]["status"] == "not_submitted"
    assert body["acceptance"]["consultable_today"] is False


def test_name_falls_back_to_kazakh_when_english_is_missing(
    client: Client, admin_key: str, org_a: Partner
) -> None:
    body = client.get(
        f"{API}/services/{org_a.service.pk}",
        headers=_key(admin_key, "en"),
    ).json()
    assert org_a.service.name_en == ""
    assert body["name"] == org_a.service.name_kk


def test_bylaw_detail_has_history_and_services(
    client: Client, admin_key: str, org_a: Partner
) -> None:
    bylaw = org_a.bylaw
    AmendmentFactory.create(bylaw=bylaw)
    body = client.get(f"{API}/bylaws/{bylaw.pk}", headers=_key(admin_key)).json()
    assert len(body["amendments"]) == 1
    assert body["service_ids"] == [org_a.service.pk]
    listed = client.get(f"{API}/bylaws", {"query": bylaw.number}, headers=_key(admin_key))
    assert bylaw.pk in [b["id"] for b in listed.json()["items"]]


def test_missing_service_is_404(client: Client, admin_key: str) -> None:
    response = client.get(f"{API}/services/999999", headers=_key(admin_key))
    assert response.status_code == 404


# --- query counts -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/services", "/organisations", "/bylaws"])
def test_list_queries_do_not_grow_with_rows(
    client: Client, admin_key: str, django_assert_max_num_queries: Any, path: str
) -> None:
    provider = OrganisationFactory.create(kind=OrganisationKind.SERVICE_PROVIDER)
    for _ in range(30):
        ServiceFactory.create(providers=[provider])
    headers = _key(admin_key)
    client.get(f"{API}{path}", headers=headers)  # the key's "last used" is written once
    with django_assert_max_num_queries(6):
        response = client.get(f"{API}{path}", headers=headers)
    assert response.status_code == 200
    assert response.json()["count"] >= 30


def test_service_card_queries_are_bounded(
    client: Client, admin_key: str, org_a: Partner, django_assert_max_num_queries: Any
) -> None:
    for number in range(5):
        AmendmentFactory.create(bylaw=org_a.bylaw, number=f"9{number}")
    headers = _key(admin_key)
    client.get(f"{API}/regions", headers=headers)
    with django_assert_max_num_queries(8):
        assert client.get(f"{API}/services/{org_a.service.pk}", headers=headers).status_code == 200


# --- creating and changing organisations ------------------------------------------------------


def test_admin_creates_an_organisation_with_normalised_fields_and_audit(
    client: Client, admin_key: str
) -> None:
    body = _org_body(bin=f" {fresh_bin()} ")
    response = _post(client, f"{API}/organisations", body, admin_key)
    assert response.status_code == 201, response.json()
    created = Organisation.objects.get(pk=response.json()["id"])
    assert created.phone == "+77172740000"
    assert created.region == region("KZ-71")
    assert created.bin == body["bin"].strip()
    assert AuditEvent.objects.filter(
        action="registry.organisation_created", target_id=str(created.pk)
    ).exists()


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"bin": "_wrong_"}, "bin", "bin_check_digit"),
        ({"phone": "+1 202 555 0143"}, "phone", "phone_not_kz"),
        ({"region": "990000000"}, "region", "unknown_region"),
        ({"name_kk": "  "}, "name_kk", "required_kk"),
        ({"email": "not-an-email"}, "email", "email_format"),
        ({"kind": "ministry"}, "kind", "invalid_choice"),
        ({"parent_id": 999999}, "parent_id", "unknown_organisation"),
    ],
)
def test_bad_organisation_input_is_422_naming_the_field_and_stores_nothing(
    client: Client, admin_key: str, overrides: dict[str, Any], field: str, code: str
) -> None:
    if overrides.get("bin") == "_wrong_":
        overrides = {"bin": _wrong_check_digit(fresh_bin())}
    before = Organisation.objects.count()
    audit_before = AuditEvent.objects.count()
    response = _post(client, f"{API}/organisations", _org_body(**overrides), admin_key)
    assert response.status_code == 422
    errors = {e["field"]: e["code"] for e in response.json()["errors"]}
    assert errors[field] == code
    assert Organisation.objects.count() == before
    assert AuditEvent.objects.count() == audit_before


def test_every_bad_field_is_reported_at_once(client: Client, admin_key: str) -> None:
    body = _org_body(name_kk="", phone="12", region="x")
    response = _post(client, f"{API}/organisations", body, admin_key)
    assert {e["field"] for e in response.json()["errors"]} == {"name_kk", "phone", "region"}


def test_duplicate_bin_is_refused(client: Client, admin_key: str, org_a: Partner) -> None:
    response = _post(
        client, f"{API}/organisations", _org_body(bin=org_a.organisation.bin), admin_key
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "bin"


def test_local_executive_body_needs_a_region(client: Client, admin_key: str) -> None:
    body = _org_body(kind=OrganisationKind.LOCAL_EXECUTIVE_BODY, region=None)
    response = _post(client, f"{API}/organisations", body, admin_key)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "region"


def test_error_message_is_in_the_language_of_the_request(client: Client, admin_key: str) -> None:
    kk = _post(client, f"{API}/organisations", _org_body(name_kk=""), admin_key, "kk")  # fmt: skip
    ru = _post(client, f"{API}/organisations", _org_body(name_kk=""), admin_key, "ru")  # fmt: skip
    en = _post(client, f"{API}/organisations", _org_body(name_kk=""), admin_key, "en")  # fmt: skip
    assert en.json()["errors"][0]["message"] == "Enter the name in Kazakh."
    assert kk.json()["errors"][0]["message"] == "Атауын қазақ тілінде енгізіңіз."
    assert ru.json()["errors"][0]["message"] == "Введите название на казахском языке."


def test_patch_changes_only_the_fields_sent(client: Client, admin_key: str, org_a: Partner) -> None:
    organisation = org_a.organisation
    response = _patch(
        client,
        f"{API}/organisations/{organisation.pk}",
        {"website": "gov.kz/alpha", "parent_id": None},
        admin_key,
    )
    assert response.status_code == 200, response.json()
    organisation.refresh_from_db()
    assert organisation.website == "https://gov.kz/alpha"
    assert organisation.name_en == "Alpha"


def test_patch_with_bad_phone_changes_nothing(
    client: Client, admin_key: str, org_a: Partner
) -> None:
    organisation = org_a.organisation
    response = _patch(
        client,
        f"{API}/organisations/{organisation.pk}",
        {"phone": "+44 20 7946 0958", "name_ru": "Новое имя"},
        admin_key,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "phone"
    organisation.refresh_from_db()
    assert organisation.name_ru != "Новое имя"


def test_organisation_cannot_become_its_own_grandparent(client: Client, admin_key: str) -> None:
    parent = OrganisationFactory.create()
    child = OrganisationFactory.create(parent=parent)
    response = _patch(
        client, f"{API}/organisations/{parent.pk}", {"parent_id": child.pk}, admin_key
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "parent_id"


def test_contacts_are_added_validated_and_removed(
    client: Client, admin_key: str, org_a: Partner
) -> None:
    url = f"{API}/organisations/{org_a.organisation.pk}/contacts"
    bad = _post(client, url, {"kind": "phone", "value": "+1 202 555 0143"}, admin_key)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "value"
    good = _post(client, url, {"kind": "email", "value": "help@alpha.example"}, admin_key)
    assert good.status_code == 201
    contact_id = good.json()["id"]
    removed = client.delete(f"{url}/{contact_id}", headers=_key(admin_key))
    assert removed.status_code == 204
    assert not org_a.organisation.contacts.filter(pk=contact_id).exists()


# --- creating and changing services -----------------------------------------------------------


def _service_body(owner: Organisation, **overrides: Any) -> dict[str, Any]:
    body = {
        "register_number": "00901001",
        "name_kk": "Анықтама беру",
        "name_ru": "Выдача справки",
        "owner_id": owner.pk,
        "info_url": "https://egov.kz/cms/ru/services/00901001",
    }
    return body | overrides


def test_admin_creates_a_service_with_providers_and_bylaw(
    client: Client, admin_key: str, org_a: Partner
) -> None:
    provider = OrganisationFactory.create(kind=OrganisationKind.SERVICE_PROVIDER)
    bylaw = ByLawFactory.create()
    body = _service_body(org_a.organisation, provider_ids=[provider.pk], bylaw_id=bylaw.pk)
    response = _post(client, f"{API}/services", body, admin_key)
    assert response.status_code == 201, response.json()
    service = PublicService.objects.get(register_number="00901001")
    assert list(service.providers.all()) == [provider]
    assert service.bylaw == bylaw
    assert service.acceptance_status == AcceptanceStatus.NOT_SUBMITTED


def test_duplicate_register_number_is_422_and_stores_nothing(
    client: Client, admin_key: str, org_a: Partner
) -> None:
    before = PublicService.objects.count()
    body = _service_body(org_a.organisation, register_number=org_a.service.register_number)
    response = _post(client, f"{API}/services", body, admin_key)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "register_number"
    assert response.json()["errors"][0]["code"] == "duplicate"
    assert PublicService.objects.count() == before


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name_kk": ""}, "name_kk"),
        ({"owner_id": None}, "owner_id"),
        ({"provider_ids": [999999]}, "provider_ids"),
        ({"bylaw_id": 999999}, "bylaw_id"),
        ({"info_url": "not a url"}, "info_url"),
        ({"register_number": "12 34"}, "register_number"),
    ],
)
def test_bad_service_input_names_the_field(
    client: Client, admin_key: str, org_a: Partner, overrides: dict[str, Any], field: str
) -> None:
    response = _post(client, f"{API}/services", _service_body(org_a.organisation, **overrides),
                     admin_key)  # fmt: skip
    assert response.status_code == 422
    assert field in {e["field"] for e in response.json()["errors"]}
    assert not PublicService.objects.filter(register_number="00901001").exists()


def test_wrong_json_type_is_422_not_500(client: Client, admin_key: str, org_a: Partner) -> None:
    response = _post(client, f"{API}/services", {"owner_id": "abc"}, admin_key)
    assert response.status_code == 422
    assert response.json()["field"] == "owner_id"


def test_acceptance_state_cannot_be_patched(client: Client, admin_key: str, org_a: Partner) -> None:
    response = _patch(
        client,
        f"{API}/services/{org_a.service.pk}",
        {"name_ru": "Новое", "acceptance_status": "consulting"},
        admin_key,
    )
    assert response.status_code == 200
    org_a.service.refresh_from_db()
    assert org_a.service.name_ru == "Новое"
    assert org_a.service.acceptance_status == AcceptanceStatus.NOT_SUBMITTED


def test_acceptance_moves_along_the_transitions_table(
    client: Client, admin_key: str, org_a: Partner
) -> None:
    url = f"{API}/services/{org_a.service.pk}/acceptance"
    jump = _post(client, url, {"status": "consulting"}, admin_key)
    assert jump.status_code == 409
    for status in ("submitted", "training"):
        assert _post(client, url, {"status": status}, admin_key).status_code == 200
    no_date = _post(client, url, {"status": "accepted"}, admin_key)
    assert no_date.status_code == 422
    assert no_date.json()["field"] == "protocol_signed_on"
    accepted = _post(client, url, {"status": "accepted", "protocol_signed_on": "2024-03-01"},
                     admin_key)  # fmt: skip
    assert accepted.status_code == 200
    early = _post(client, url, {"status": "consulting", "consultation_from": "2024-02-01"},
                  admin_key)  # fmt: skip
    assert early.status_code == 422
    consulting = _post(client, url, {"status": "consulting", "consultation_from": "2024-03-11"},
                       admin_key)  # fmt: skip
    assert consulting.json()["acceptance"]["consultable_today"] is True
    assert AuditEvent.objects.filter(action="registry.service_acceptance_changed").count() == 4


def test_acceptance_is_for_administrators_only(client: Client, org_a: Partner) -> None:
    response = _post(
        client, f"{API}/services/{org_a.service.pk}/acceptance", {"status": "submitted"}, org_a.key
    )
    assert response.status_code == 403
    org_a.service.refresh_from_db()
    assert org_a.service.acceptance_status == AcceptanceStatus.NOT_SUBMITTED


def test_bylaw_change_is_recorded_and_audited_with_its_services(
    client: Client, org_a: Partner
) -> None:
    bylaw = org_a.bylaw
    body = {
        "amended_on": "2024-02-15",
        "number": "88",
        "title_kk": "Бұйрыққа өзгерістер енгізу туралы",
        "title_ru": "О внесении изменений в приказ",
        "in_force_from": "2024-02-26",
    }
    response = _post(client, f"{API}/bylaws/{bylaw.pk}/amendments", body, org_a.key)
    assert response.status_code == 201, response.json()
    event = AuditEvent.objects.get(action="registry.bylaw_amended")
    assert event.changes["service_ids"] == [org_a.service.pk]
    again = _post(client, f"{API}/bylaws/{bylaw.pk}/amendments", body, org_a.key)
    assert again.status_code == 422
    assert ByLawAmendment.objects.filter(bylaw=bylaw).count() == 1


def test_responsible_person_is_replaced_and_history_kept(
    client: Client, admin_key: str, org_a: Partner
) -> None:
    response = _post(
        client,
        f"{API}/responsible-persons/{org_a.person.pk}/replace",
        {
            "replaced_on": "2024-04-01",
            "successor": {"full_name": "Жаңа Адам Адамұлы", "phones": ["8 701 765 43 21"]},
        },
        admin_key,
    )
    assert response.status_code == 201, response.json()
    assert response.json()["phones"] == ["+77017654321"]
    card = client.get(f"{API}/services/{org_a.service.pk}", headers=_key(admin_key)).json()
    persons = card["responsible_persons"]
    assert [p["is_current"] for p in persons] == [True, False]
    assert persons[1]["replaced_by_id"] == persons[0]["id"]
    assert persons[1]["replaced_on"] == "2024-04-01"


def test_bin_check_is_not_fooled_by_a_valid_iin(client: Client, admin_key: str) -> None:
    rng = random.Random(3)
    iin_like = synthetic_bin(rng, dt.date(2001, 1, 1))[:4] + "9" + "0000000"
    response = _post(client, f"{API}/organisations", _org_body(bin=iin_like), admin_key)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "bin"


# --- input that must never become a 500 -------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/services/99999999999999999999",
        "/organisations/9223372036854775808",
        "/bylaws/99999999999999999999",
        "/regions/%00",
    ],
)
def test_ids_beyond_the_database_are_404(client: Client, admin_key: str, path: str) -> None:
    assert client.get(f"{API}{path}", headers=_key(admin_key)).status_code == 404


@pytest.mark.parametrize(
    "params",
    [
        {"query": "a\x00b"},
        {"organisation": "99999999999999999999"},
        {"page": "99999999999999999999"},
        {"region": "\x00"},
        {"status": "\x00"},
    ],
)
def test_odd_filters_are_answered_not_crashed(
    client: Client, admin_key: str, params: dict[str, Any]
) -> None:
    response = client.get(f"{API}/services", params, headers=_key(admin_key))
    assert response.status_code in {200, 422}


def test_nul_characters_are_not_stored(client: Client, admin_key: str) -> None:
    body = _org_body(name_ru="Министерство\x00 испытаний")
    response = _post(client, f"{API}/organisations", body, admin_key)
    assert response.status_code == 201
    assert Organisation.objects.get(pk=response.json()["id"]).name_ru == "Министерство испытаний"


def test_huge_provider_id_is_a_field_error(client: Client, admin_key: str, org_a: Partner) -> None:
    body = _service_body(org_a.organisation, provider_ids=[2**70])
    response = _post(client, f"{API}/services", body, admin_key)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "provider_ids"
