"""Demo registry: about 30 organisations of every R1 kind and about 50 public services with
by-laws, change history, responsible persons and a spread of acceptance states (R7).

DEMO DATA ONLY (see demo_data.py). Every write goes through the services, as the system
(actor None). Loading twice changes nothing: organisations are matched by Russian name,
services by register number, by-laws by Ministry of Justice number.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction

from qoldau.core.errors import FieldError
from qoldau.core.identifiers import normalise_phone, synthetic_bin
from qoldau.registry import services
from qoldau.registry.demo_data import (
    AMENDMENTS,
    BYLAWS,
    FATHERS,
    FEMALE_NAMES,
    MALE_NAMES,
    ORGANISATIONS,
    POSITIONS,
    SERVICES,
    SUMMARIES,
    SURNAMES,
    Law,
    Org,
)
from qoldau.registry.enums import AcceptanceStatus, ByLawKind, ContactKind, OrganisationKind
from qoldau.registry.models import ByLaw, Organisation, PublicService, Region

# Area codes of the cities where the organisations sit (landlines: +7 7xx…).
_AREA_CODES = {"KZ-71": "7172", "KZ-75": "727", "KZ-79": "7252", "KZ-35": "7212",
               "KZ-61": "72533", "KZ-10": "7222", "KZ-63": "7232"}  # fmt: skip
_MONTHS_KK = ("қаңтардағы", "ақпандағы", "наурыздағы", "сәуірдегі", "мамырдағы", "маусымдағы",
              "шілдедегі", "тамыздағы", "қыркүйектегі", "қазандағы", "қарашадағы",
              "желтоқсандағы")  # fmt: skip
_MONTHS_RU = ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
              "сентября", "октября", "ноября", "декабря")  # fmt: skip
# The acceptance path to each state (R7, transitions.py).
_PATH = {
    AcceptanceStatus.NOT_SUBMITTED: (),
    AcceptanceStatus.SUBMITTED: (AcceptanceStatus.SUBMITTED,),
    AcceptanceStatus.TRAINING: (AcceptanceStatus.SUBMITTED, AcceptanceStatus.TRAINING),
    AcceptanceStatus.ACCEPTED: (
        AcceptanceStatus.SUBMITTED,
        AcceptanceStatus.TRAINING,
        AcceptanceStatus.ACCEPTED,
    ),
    AcceptanceStatus.CONSULTING: (
        AcceptanceStatus.SUBMITTED,
        AcceptanceStatus.TRAINING,
        AcceptanceStatus.ACCEPTED,
        AcceptanceStatus.CONSULTING,
    ),
}


def _phone(rng: random.Random, region: str, *, mobile: bool = False) -> str:
    for _attempt in range(50):
        if mobile:
            raw = f"+7 70{rng.choice('1257')} {rng.randint(100, 999)} {rng.randint(1000, 9999)}"
        else:
            area = _AREA_CODES.get(region, "7172")
            local = str(rng.randint(10**9, 10**10 - 1))[: 10 - len(area)]
            raw = f"+7 {area} {local}"
        try:
            return normalise_phone(raw)
        except FieldError:
            continue
    return normalise_phone("+7 701 000 1414")


def _domain(org: Org) -> str:
    return f"{org.key.replace('_', '-')}.example"


def _website(org: Org) -> str:
    return org.site if "://" in org.site else f"https://www.gov.kz/memleket/entities/{org.site}"


def _load_organisations(rng: random.Random) -> dict[str, Organisation]:
    regions = {r.iso_code: r.kato for r in Region.objects.all()}
    loaded: dict[str, Organisation] = {}
    for index, org in enumerate(ORGANISATIONS):
        existing = Organisation.objects.filter(name_ru=org.name_ru).first()
        bin_ = synthetic_bin(rng, dt.date(2000 + index % 20, 1 + index % 12, 1))
        phone = _phone(rng, org.region)
        data: services.OrganisationData = {
            "kind": org.kind,
            "name_kk": org.name_kk,
            "name_ru": org.name_ru,
            "name_en": org.name_en,
            "short_name_kk": org.short_kk,
            "short_name_ru": org.short_ru,
            "region": regions.get(org.region),
            "parent_id": loaded[org.parent].pk if org.parent else None,
            "website": _website(org),
        }
        if existing is None:
            data |= {"bin": bin_, "phone": phone, "email": f"info@{_domain(org)}"}
            organisation = services.organisation_create(actor=None, data=data)
            _add_contacts(rng, organisation, org)
        else:
            organisation = services.organisation_update(
                actor=None, organisation_id=existing.pk, data=data
            )
        loaded[org.key] = organisation
    return loaded


def _add_contacts(rng: random.Random, organisation: Organisation, org: Org) -> None:
    contacts: list[services.ContactData] = [
        {
            "kind": ContactKind.PHONE,
            "value": organisation.phone,
            "label_kk": "Кеңсе",
            "label_ru": "Канцелярия",
            "label_en": "Office",
        },
        {"kind": ContactKind.WEBSITE, "value": organisation.website},
        {
            "kind": ContactKind.PHONE,
            "value": _phone(rng, org.region, mobile=True),
            "label_kk": "Байланыс орталығына арналған ішкі телефон",
            "label_ru": "Внутренний телефон для контакт-центра",
            "label_en": "Internal line for the contact center",
            "is_public": False,
        },
        {
            "kind": ContactKind.EMAIL,
            "value": f"1414@{_domain(org)}",
            "label_kk": "Байланыс орталығының сұраулары",
            "label_ru": "Запросы контакт-центра",
            "label_en": "Contact center requests",
            "is_public": False,
        },
    ]
    for position, contact in enumerate(contacts):
        services.organisation_contact_add(
            actor=None, organisation_id=organisation.pk, data={**contact, "position": position}
        )


def _date(iso: str) -> dt.date:
    return dt.date.fromisoformat(iso)


def _load_bylaws() -> dict[str, ByLaw]:
    loaded: dict[str, ByLaw] = {}
    for law in BYLAWS:
        bylaw, _created = services.bylaw_upsert(
            actor=None,
            data={
                "kind": ByLawKind.OTHER if law.key == "gp_records" else ByLawKind.MINISTERIAL_ORDER,
                "title_kk": f"{law.sphere_kk} мемлекеттік көрсетілетін қызметтер көрсету "
                "қағидаларын бекіту туралы",
                "title_ru": f"Об утверждении правил оказания государственных услуг {law.sphere_ru}",
                "number": law.number,
                "adopted_on": _date(law.adopted),
                "justice_registration_number": law.justice,
            },
        )
        loaded[law.key] = bylaw
    laws = {law.key: law for law in BYLAWS}
    for key, number, iso, summary in AMENDMENTS:
        bylaw = loaded[key]
        if bylaw.amendments.filter(number=number, amended_on=_date(iso)).exists():
            continue
        kk_title, ru_title = _amendment_titles(laws[key])
        services.service_record_bylaw_change(
            actor=None,
            bylaw_id=bylaw.pk,
            data={
                "amended_on": _date(iso),
                "number": number,
                "title_kk": kk_title,
                "title_ru": ru_title,
                "summary_kk": SUMMARIES[summary][0],
                "summary_ru": SUMMARIES[summary][1],
                "in_force_from": _date(iso) + dt.timedelta(days=10),
            },
        )
    return loaded


def _amendment_titles(law: Law) -> tuple[str, str]:
    adopted = _date(law.adopted)
    kk = (
        f"{law.issuer_kk} {adopted.year} жылғы {adopted.day} {_MONTHS_KK[adopted.month - 1]} "
        f"№ {law.number} бұйрығына өзгерістер енгізу туралы"
    )
    ru = (
        f"О внесении изменений в приказ {law.issuer_ru} от {adopted.day} "
        f"{_MONTHS_RU[adopted.month - 1]} {adopted.year} года № {law.number}"
    )
    return kk, ru


def _load_services(
    organisations: dict[str, Organisation], bylaws: dict[str, ByLaw]
) -> list[PublicService]:
    loaded: list[PublicService] = []
    for svc in SERVICES:
        data: services.ServiceData = {
            "register_number": svc.number,
            "name_kk": svc.name_kk,
            "name_ru": svc.name_ru,
            "name_en": svc.name_en,
            "owner_id": organisations[svc.owner].pk,
            "provider_ids": [organisations[key].pk for key in svc.providers],
            "info_url": f"https://egov.kz/cms/ru/services/{svc.number}",
            "bylaw_id": bylaws[svc.bylaw].pk,
        }
        existing = PublicService.objects.filter(register_number=svc.number).first()
        if existing is None:
            service = services.service_create(actor=None, data=data)
            _accept(service, svc.status, bylaws[svc.bylaw].adopted_on)
        else:
            service = services.service_update(actor=None, service_id=existing.pk, data=data)
        loaded.append(service)
    return loaded


def _accept(service: PublicService, target: str, adopted_on: dt.date) -> None:
    signed = adopted_on + dt.timedelta(days=18)
    for status in _PATH[AcceptanceStatus(target)]:
        services.service_set_acceptance(
            actor=None,
            service_id=service.pk,
            status=status,
            protocol_signed_on=signed if status == AcceptanceStatus.ACCEPTED else None,
            consultation_from=signed + dt.timedelta(days=7)
            if status == AcceptanceStatus.CONSULTING
            else None,
        )


def _person(rng: random.Random, organisation: Organisation) -> services.PersonData:
    female = rng.random() < 0.5
    surname = rng.choice(SURNAMES) + ("а" if female else "")
    first = rng.choice(FEMALE_NAMES if female else MALE_NAMES)
    father = rng.choice(FATHERS) + ("овна" if female else "ович")
    position = rng.choice(POSITIONS)
    region = organisation.region.iso_code if organisation.region else "KZ-71"
    return {
        "organisation_id": organisation.pk,
        "full_name": f"{surname} {first} {father}",
        "position_kk": position[0],
        "position_ru": position[1],
        "phones": [_phone(rng, region), _phone(rng, region, mobile=True)],
        "email": f"expert{rng.randint(10, 99)}@{organisation.pk}.example",
    }


def _load_persons(rng: random.Random, service_list: list[PublicService]) -> None:
    by_owner: dict[int, list[PublicService]] = {}
    for service in service_list:
        by_owner.setdefault(service.owner_id, []).append(service)
    for index, (owner_id, owned) in enumerate(sorted(by_owner.items())):
        if any(s.responsible_persons.exists() for s in owned):
            continue
        owner = Organisation.objects.select_related("region").get(pk=owner_id)
        first = services.responsible_person_appoint(
            actor=None,
            data={
                **_person(rng, owner),
                "appointed_on": dt.date(2021, 2, 1),
                "service_ids": [s.pk for s in owned],
            },
        )
        if index % 3 == 0:  # some bodies replaced their person since (Rules p.27)
            services.responsible_person_replace(
                actor=None,
                person_id=first.pk,
                replaced_on=dt.date(2023, 9, 1 + index % 20),
                successor=_person(rng, owner),
            )


@transaction.atomic
def load_demo_registry(*, seed: int = 1414) -> dict[str, list[Organisation]]:
    """Load (or refresh) the demo registry; returns the organisations by R1 kind."""
    rng = random.Random(seed)  # noqa: S311 (made-up demo data, not secrets)
    organisations = _load_organisations(rng)
    bylaws = _load_bylaws()
    service_list = _load_services(organisations, bylaws)
    _load_persons(rng, service_list)
    by_kind: dict[str, list[Organisation]] = {kind: [] for kind in OrganisationKind.values}
    for organisation in organisations.values():
        by_kind[organisation.kind].append(organisation)
    return by_kind
