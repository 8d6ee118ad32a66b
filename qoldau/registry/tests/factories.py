# mypy: disable-error-code="attr-defined,no-untyped-call,untyped-decorator"
"""factory_boy factories for the registry; identifiers are synthetic with valid check digits."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from typing import Any

import factory
from factory.django import DjangoModelFactory

from qoldau.accounts.services import api_key_issue, user_create
from qoldau.core.identifiers import check_digit
from qoldau.registry.enums import ByLawKind, ContactKind, OrganisationKind
from qoldau.registry.models import (
    ByLaw,
    ByLawAmendment,
    Organisation,
    OrganisationContact,
    PublicService,
    Region,
    ResponsiblePerson,
)
from qoldau.registry.validators import search_fold

_rng = random.Random(1414)
PASSWORD = "Qoldau-test-Passw0rd!"


_bin_serials = itertools.count(90000)


def fresh_bin() -> str:
    """A BIN never handed out before in this test run (random ones collide now and then)."""
    while True:
        head = f"100340{next(_bin_serials):05d}"
        digit = check_digit(head)
        if digit is not None:
            return head + str(digit)


def region(code: str = "KZ-71") -> Region:
    """One of the seeded regions (the data migration created all 20)."""
    return Region.objects.get(iso_code=code)


class OrganisationFactory(DjangoModelFactory[Organisation]):
    class Meta:
        model = Organisation

    kind = OrganisationKind.CENTRAL_STATE_BODY
    name_kk = factory.Sequence(lambda n: f"Сынақ министрлігі {n}")
    name_ru = factory.Sequence(lambda n: f"Тестовое министерство {n}")
    name_en = factory.Sequence(lambda n: f"Test ministry {n}")
    bin = factory.LazyFunction(fresh_bin)
    region = factory.LazyFunction(region)
    search_text = factory.LazyAttribute(lambda o: search_fold(o.name_kk, o.name_ru, o.bin))


class ContactFactory(DjangoModelFactory[OrganisationContact]):
    class Meta:
        model = OrganisationContact

    organisation = factory.SubFactory(OrganisationFactory)
    kind = ContactKind.PHONE
    value = "+77172123456"
    label_kk = "Қабылдау бөлмесі"
    label_ru = "Приёмная"
    is_public = True


class ByLawFactory(DjangoModelFactory[ByLaw]):
    class Meta:
        model = ByLaw

    kind = ByLawKind.MINISTERIAL_ORDER
    title_kk = factory.Sequence(lambda n: f"Мемлекеттік көрсетілетін қызмет қағидалары {n}")
    title_ru = factory.Sequence(lambda n: f"Правила оказания государственной услуги {n}")
    number = factory.Sequence(lambda n: f"{100 + n}")
    adopted_on = dt.date(2020, 4, 20)
    justice_registration_number = factory.Sequence(lambda n: f"{20400 + n}")
    search_text = factory.LazyAttribute(
        lambda o: search_fold(o.title_kk, o.title_ru, o.number, o.justice_registration_number)
    )


class AmendmentFactory(DjangoModelFactory[ByLawAmendment]):
    class Meta:
        model = ByLawAmendment

    bylaw = factory.SubFactory(ByLawFactory)
    amended_on = dt.date(2022, 6, 1)
    number = factory.Sequence(lambda n: f"{300 + n}")
    title_kk = "Өзгерістер енгізу туралы"
    title_ru = "О внесении изменений"


class ServiceFactory(DjangoModelFactory[PublicService]):
    class Meta:
        model = PublicService
        skip_postgeneration_save = True

    register_number = factory.Sequence(lambda n: f"00{n:04d}")
    name_kk = factory.Sequence(lambda n: f"Анықтама беру {n}")
    name_ru = factory.Sequence(lambda n: f"Выдача справки {n}")
    owner = factory.SubFactory(OrganisationFactory)
    bylaw = factory.SubFactory(ByLawFactory)
    info_url = "https://egov.kz/"
    search_text = factory.LazyAttribute(
        lambda o: search_fold(o.register_number, o.name_kk, o.name_ru)
    )

    @factory.post_generation
    def providers(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create and extracted:
            self.providers.set(extracted)


class PersonFactory(DjangoModelFactory[ResponsiblePerson]):
    class Meta:
        model = ResponsiblePerson
        skip_postgeneration_save = True

    organisation = factory.SubFactory(OrganisationFactory)
    full_name = factory.Sequence(lambda n: f"Тестов Тест Тестович {n}")
    position_kk = "Бас сарапшы"
    position_ru = "Главный эксперт"
    phones = factory.LazyFunction(lambda: ["+77011234567"])
    email = "expert@example.kz"
    appointed_on = dt.date(2023, 1, 10)

    @factory.post_generation
    def services(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create and extracted:
            self.services.set(extracted)


_user_seq = iter(range(1, 1_000_000))


def make_user(*, organisation: Organisation | None, roles: list[str], language: str = "en") -> Any:
    return user_create(
        username=f"user{next(_user_seq)}",
        password=PASSWORD,
        organisation_id=organisation.pk if organisation else None,
        roles=roles,
        language=language,
    )


def make_api_key(*, organisation: Organisation, roles: list[str]) -> str:
    _key, raw = api_key_issue(
        organisation_id=organisation.pk, name="test client", roles=roles, actor=None
    )
    return raw
