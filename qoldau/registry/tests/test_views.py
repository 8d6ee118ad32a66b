"""Registry pages: login required, search and filters, the service card in each language."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from qoldau.registry.enums import AcceptanceStatus, OrganisationKind
from qoldau.registry.tests.conftest import Partner
from qoldau.registry.tests.factories import (
    AmendmentFactory,
    OrganisationFactory,
    ServiceFactory,
    region,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator_client(operator_user: Any) -> Client:
    client = Client()
    client.force_login(operator_user)
    return client


def test_url_names() -> None:
    with translation.override("ru"):
        assert reverse("registry:service_list") == "/ru/registry/services/"
        assert reverse("registry:service_detail", args=[5]) == "/ru/registry/services/5/"
        assert reverse("registry:organisation_list") == "/ru/registry/organisations/"
        assert reverse("registry:organisation_detail", args=[5]) == "/ru/registry/organisations/5/"
        assert reverse("registry:import") == "/ru/registry/import/"
        assert reverse("registry:export") == "/ru/registry/export/"


@pytest.mark.parametrize(
    "name", ["registry:service_list", "registry:organisation_list", "registry:import"]
)
def test_pages_need_sign_in(client: Client, name: str) -> None:
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_service_list_searches_and_filters(operator_client: Client, org_a: Partner) -> None:
    branch = OrganisationFactory.create(
        kind=OrganisationKind.SERVICE_PROVIDER, region=region("KZ-75")
    )
    licence = ServiceFactory.create(
        name_ru="Замена водительского удостоверения", providers=[branch]
    )
    url = reverse("registry:service_list")
    found = operator_client.get(url, {"q": "водительск"})
    assert list(found.context["page"]) == [licence]
    by_region = operator_client.get(url, {"region": "750000000"})
    assert list(by_region.context["page"]) == [licence]
    by_org = operator_client.get(url, {"organisation": org_a.organisation.pk})
    assert list(by_org.context["page"]) == [org_a.service]
    assert operator_client.get(url, {"region": "nonsense"}).status_code == 200


def test_service_list_query_count_does_not_grow(
    operator_client: Client, django_assert_max_num_queries: Any
) -> None:
    owner = OrganisationFactory.create()
    for _ in range(25):
        ServiceFactory.create(owner=owner)
    url = reverse("registry:service_list")
    operator_client.get(url)
    with django_assert_max_num_queries(12):
        assert operator_client.get(url).status_code == 200


def test_service_card_shows_annex_1_fields_in_the_language(
    operator_client: Client, org_a: Partner
) -> None:
    service = org_a.service
    service.consultation_from = dt.date(2024, 3, 11)
    service.acceptance_status = AcceptanceStatus.CONSULTING
    service.save()
    AmendmentFactory.create(
        bylaw=service.bylaw, number="58", title_ru="О внесении изменений в приказ"
    )
    with translation.override("ru"):
        url = reverse("registry:service_detail", args=[service.pk])
    html = operator_client.get(url).content.decode()
    assert service.register_number in html
    assert service.name_ru in html
    assert org_a.bylaw.justice_registration_number in html
    assert "О внесении изменений в приказ" in html
    assert "11.03.2024" in html
    assert org_a.person.full_name in html


def test_missing_service_is_404(operator_client: Client) -> None:
    assert operator_client.get(reverse("registry:service_detail", args=[999999])).status_code == 404


def test_organisation_pages(operator_client: Client, org_a: Partner) -> None:
    listed = operator_client.get(
        reverse("registry:organisation_list"), {"kind": "central_state_body"}
    )
    assert org_a.organisation in list(listed.context["page"])
    card = operator_client.get(
        reverse("registry:organisation_detail", args=[org_a.organisation.pk])
    )
    assert card.status_code == 200
    assert org_a.service.register_number in card.content.decode()
