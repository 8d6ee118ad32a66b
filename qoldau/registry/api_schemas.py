"""Request and response bodies of the registry API.

Input fields are optional and loosely typed on purpose: the services check them and answer in
the reader's language, naming the field (an empty Kazakh name, a BIN with a wrong check digit).
"""

from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import Field


class PageMeta(Schema):
    count: int
    page: int
    page_size: int


class RegionOut(Schema):
    id: int
    kato: str
    iso_code: str
    kind: str
    name: str
    name_kk: str
    name_ru: str
    name_en: str
    kato_checked: bool


class OrganisationRef(Schema):
    id: int
    kind: str
    name: str
    short_name: str
    bin: str | None


class ContactOut(Schema):
    id: int
    kind: str
    value: str
    label: str
    label_kk: str
    label_ru: str
    label_en: str
    is_public: bool


class OrganisationListItem(OrganisationRef):
    name_kk: str
    name_ru: str
    name_en: str
    region: str | None = Field(description="KATO code")
    parent_id: int | None
    is_active: bool


class OrganisationOut(OrganisationListItem):
    short_name_kk: str
    short_name_ru: str
    short_name_en: str
    website: str
    email: str
    phone: str
    address_kk: str
    address_ru: str
    contacts: list[ContactOut]
    private_visible: bool = Field(description="whether private contacts are included")


class OrganisationPage(PageMeta):
    items: list[OrganisationListItem]


class OrganisationIn(Schema):
    kind: str | None = None
    name_kk: str | None = None
    name_ru: str | None = None
    name_en: str | None = None
    short_name_kk: str | None = None
    short_name_ru: str | None = None
    short_name_en: str | None = None
    bin: str | None = None
    region: str | None = Field(None, description="KATO code (710000000) or ISO code (KZ-71)")
    parent_id: int | None = None
    website: str | None = None
    email: str | None = None
    phone: str | None = Field(None, description="Kazakhstan number: 8 7xx, +7 7xx or 7xx")
    address_kk: str | None = None
    address_ru: str | None = None
    is_active: bool | None = None


class ContactIn(Schema):
    kind: str | None = None
    value: str | None = None
    label_kk: str | None = None
    label_ru: str | None = None
    label_en: str | None = None
    is_public: bool | None = None
    position: int | None = None


class AmendmentOut(Schema):
    id: int
    amended_on: dt.date
    number: str
    title: str
    title_kk: str
    title_ru: str
    summary: str
    summary_kk: str
    summary_ru: str
    in_force_from: dt.date | None


class ByLawListItem(Schema):
    id: int
    kind: str
    title: str
    title_kk: str
    title_ru: str
    title_en: str
    number: str
    adopted_on: dt.date
    justice_registration_number: str
    url: str


class ByLawOut(ByLawListItem):
    amendments: list[AmendmentOut]


class ByLawDetail(ByLawOut):
    service_ids: list[int]


class ByLawPage(PageMeta):
    items: list[ByLawListItem]


class ByLawIn(Schema):
    kind: str | None = None
    title_kk: str | None = None
    title_ru: str | None = None
    title_en: str | None = None
    number: str | None = None
    adopted_on: str | None = Field(None, description="YYYY-MM-DD")
    justice_registration_number: str | None = None
    url: str | None = None


class AmendmentIn(Schema):
    amended_on: str | None = Field(None, description="YYYY-MM-DD")
    number: str | None = None
    title_kk: str | None = None
    title_ru: str | None = None
    summary_kk: str | None = None
    summary_ru: str | None = None
    in_force_from: str | None = Field(None, description="YYYY-MM-DD")


class PersonOut(Schema):
    id: int
    organisation_id: int
    full_name: str
    position: str
    position_kk: str
    position_ru: str
    phones: list[str] | None = Field(description="null where the reader may not see them")
    email: str | None = Field(description="null where the reader may not see it")
    contacts_visible: bool
    appointed_on: dt.date | None
    replaced_on: dt.date | None
    replaced_by_id: int | None
    is_current: bool


class AcceptanceOut(Schema):
    status: str
    status_label: str
    protocol_signed_on: dt.date | None
    consultation_from: dt.date | None
    consultable_today: bool


class ServiceListItem(Schema):
    id: int
    register_number: str
    name: str
    name_kk: str
    name_ru: str
    name_en: str
    owner: OrganisationRef
    provider_ids: list[int]
    bylaw_id: int | None
    acceptance_status: str
    consultation_from: dt.date | None
    is_active: bool


class ServiceOut(Schema):
    id: int
    register_number: str
    name: str
    name_kk: str
    name_ru: str
    name_en: str
    owner: OrganisationRef
    providers: list[OrganisationRef]
    info_url: str
    bylaw: ByLawOut | None
    responsible_persons: list[PersonOut]
    acceptance: AcceptanceOut
    is_active: bool


class ServicePage(PageMeta):
    items: list[ServiceListItem]


class ServiceIn(Schema):
    register_number: str | None = None
    name_kk: str | None = None
    name_ru: str | None = None
    name_en: str | None = None
    owner_id: int | None = None
    provider_ids: list[int] | None = None
    info_url: str | None = None
    bylaw_id: int | None = None
    is_active: bool | None = None


class AcceptanceIn(Schema):
    status: str
    protocol_signed_on: str | None = Field(None, description="YYYY-MM-DD")
    consultation_from: str | None = Field(None, description="YYYY-MM-DD")


class PersonIn(Schema):
    organisation_id: int | None = None
    full_name: str | None = None
    position_kk: str | None = None
    position_ru: str | None = None
    phones: list[str] | None = None
    email: str | None = None
    appointed_on: str | None = Field(None, description="YYYY-MM-DD")
    service_ids: list[int] | None = None


class ReplaceIn(Schema):
    replaced_on: str | None = Field(None, description="YYYY-MM-DD")
    successor: PersonIn | None = None
    successor_id: int | None = None
