"""Fixtures of the appeals tests: an operator, a supervisor, two partner organisations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from qoldau.accounts.enums import Role
from qoldau.appeals.tests.reference import ensure_reference_data
from qoldau.registry.models import Organisation, PublicService
from qoldau.registry.tests.factories import (
    OrganisationFactory,
    ServiceFactory,
    make_api_key,
    make_user,
)


@dataclass
class Partner:
    organisation: Organisation
    service: PublicService
    user: Any
    key: str


def _partner(name: str) -> Partner:
    organisation = OrganisationFactory.create(name_en=name, email=f"office@{name.lower()}.kz")
    service = ServiceFactory.create(owner=organisation)
    user = make_user(organisation=organisation, roles=[Role.RESPONSIBLE_PERSON])
    key = make_api_key(organisation=organisation, roles=[Role.RESPONSIBLE_PERSON])
    return Partner(organisation, service, user, key)


@pytest.fixture
def reference_data(transactional_db: None) -> None:
    """For transactional tests: the data migrations' rows, put back if a flush removed them."""
    ensure_reference_data()


@pytest.fixture
def org_a(db: None) -> Partner:
    return _partner("Alpha")


@pytest.fixture
def org_b(db: None) -> Partner:
    return _partner("Beta")


@pytest.fixture
def operator(db: None) -> Any:
    return make_user(organisation=None, roles=[Role.OPERATOR])


@pytest.fixture
def supervisor(db: None) -> Any:
    return make_user(organisation=None, roles=[Role.SUPERVISOR])


VALID_IIN = "900101399998"


def appeal_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "channel": "phone",
        "line": "1414",
        "content": "Как получить справку о несудимости?",
        "name": "Асель Нурланова",
        "iin_bin": VALID_IIN,
        "phone": "8 701 123 45 67",
        "email": "Asel@example.kz",
        "region": "KZ-71",
        "language": "ru",
    }
    data.update(overrides)
    return data
