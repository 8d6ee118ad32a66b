"""Typed input of the registry's services: raw values (strings from an API body or a spreadsheet
cell are fine), cleaned by ``cleaning.py``. Only the keys given are changed on update."""

from __future__ import annotations

import datetime as dt
from typing import TypedDict


class OrganisationData(TypedDict, total=False):
    kind: str
    name_kk: str
    name_ru: str
    name_en: str
    short_name_kk: str
    short_name_ru: str
    short_name_en: str
    bin: str | None
    region: str | None  # KATO code (710000000) or ISO 3166-2 code (KZ-71)
    parent_id: int | None
    website: str
    email: str
    phone: str
    address_kk: str
    address_ru: str
    is_active: bool


class ContactData(TypedDict, total=False):
    kind: str
    value: str
    label_kk: str
    label_ru: str
    label_en: str
    is_public: bool
    position: int


class ByLawData(TypedDict, total=False):
    kind: str
    title_kk: str
    title_ru: str
    title_en: str
    number: str
    adopted_on: dt.date | str
    justice_registration_number: str
    url: str


class AmendmentData(TypedDict, total=False):
    amended_on: dt.date | str
    number: str
    title_kk: str
    title_ru: str
    summary_kk: str
    summary_ru: str
    in_force_from: dt.date | str | None


class ServiceData(TypedDict, total=False):
    register_number: str
    name_kk: str
    name_ru: str
    name_en: str
    owner_id: int
    provider_ids: list[int]
    info_url: str
    bylaw_id: int | None
    is_active: bool


class PersonData(TypedDict, total=False):
    organisation_id: int
    full_name: str
    position_kk: str
    position_ru: str
    phones: list[str] | str
    email: str
    appointed_on: dt.date | str | None
    service_ids: list[int]
