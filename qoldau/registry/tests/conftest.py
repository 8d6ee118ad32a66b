"""Fixtures of the registry tests: organisations A and B, their people and API keys."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from qoldau.accounts.enums import Role
from qoldau.registry.models import ByLaw, Organisation, PublicService, ResponsiblePerson
from qoldau.registry.tests.factories import (
    ByLawFactory,
    ContactFactory,
    OrganisationFactory,
    PersonFactory,
    ServiceFactory,
    make_api_key,
    make_user,
)


@dataclass
class Partner:
    """A state body with a public and a private contact, a service and its responsible person."""

    organisation: Organisation
    service: PublicService
    bylaw: ByLaw
    person: ResponsiblePerson
    user: Any  # a responsible person of the body who signs in
    key: str  # the body's API key (responsible person role)


def _partner(name: str) -> Partner:
    organisation = OrganisationFactory.create(name_en=name)
    ContactFactory.create(organisation=organisation, value="+77172000001", is_public=True)
    ContactFactory.create(
        organisation=organisation, value="+77011112233", is_public=False, label_en="internal"
    )
    bylaw = ByLawFactory.create()
    service = ServiceFactory.create(owner=organisation, bylaw=bylaw)
    person = PersonFactory.create(
        organisation=organisation,
        services=[service],
        phones=["+77015556677"],
        email=f"secret@{name.lower()}.example",
    )
    user = make_user(organisation=organisation, roles=[Role.RESPONSIBLE_PERSON])
    key = make_api_key(organisation=organisation, roles=[Role.RESPONSIBLE_PERSON])
    return Partner(organisation, service, bylaw, person, user, key)


@pytest.fixture
def org_a(db: None) -> Partner:
    return _partner("Alpha")


@pytest.fixture
def org_b(db: None) -> Partner:
    return _partner("Bravo")


@pytest.fixture
def ucc(db: None) -> Organisation:
    return OrganisationFactory.create(kind="ucc", name_en="Contact center", region=None)


@pytest.fixture
def admin_user(ucc: Organisation) -> Any:
    return make_user(organisation=ucc, roles=[Role.UCC_ADMIN])


@pytest.fixture
def operator_user(ucc: Organisation) -> Any:
    return make_user(organisation=ucc, roles=[Role.OPERATOR])


@pytest.fixture
def admin_client(admin_user: Any) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


@pytest.fixture
def admin_key(ucc: Organisation) -> str:
    return make_api_key(organisation=ucc, roles=[Role.UCC_ADMIN])
