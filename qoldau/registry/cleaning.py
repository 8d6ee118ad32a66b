"""Per-entity cleaning of raw input into model values, used by services (and the admin's forms).

``clean_*`` take the raw mapping (only the keys given are changed on update), check it against
the database (unique numbers, known regions and organisations) and return model attribute
values, or raise ``ValidationFailed`` listing every bad field. They write nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from qoldau.core.errors import FieldError
from qoldau.registry import validators as v
from qoldau.registry.enums import ByLawKind, ContactKind, OrganisationKind
from qoldau.registry.models import (
    ByLaw,
    Organisation,
    OrganisationContact,
    PublicService,
    Region,
    ResponsiblePerson,
)

Cleaner = Callable[[Any, str], Any]


def _apply(
    specs: Mapping[str, tuple[Cleaner, Any]],
    data: Mapping[str, Any],
    *,
    creating: bool,
    collector: v.Collector,
) -> dict[str, Any]:
    """Clean each field given (every field when creating, with its default)."""
    cleaned: dict[str, Any] = {}
    for field, (cleaner, default) in specs.items():
        if field not in data and not creating:
            continue
        raw = data.get(field, default)
        cleaned[field] = collector.run(partial(cleaner, raw, field), None)
    return cleaned


def _check_unique(
    model: type[Organisation] | type[ByLaw] | type[PublicService],
    field: str,
    cleaned: Mapping[str, Any],
    *,
    instance: Any,
    collector: v.Collector,
    message: Any,
) -> None:
    """Report ``field`` as a duplicate when another row already has the cleaned value."""
    value = cleaned.get(field)
    if not value:
        return
    others = model._default_manager.filter(**{field: value})
    if instance is not None:
        others = others.exclude(pk=instance.pk)
    if others.exists():
        collector.add(FieldError(field, "duplicate", message))


def _text(max_length: int, *, required: bool = False) -> Cleaner:
    return lambda value, field: v.text(value, field, max_length=max_length, required=required)


def _kazakh(max_length: int) -> Cleaner:
    return lambda value, field: v.kazakh_name(value, field, max_length=max_length)


def _url(max_length: int = 200) -> Cleaner:
    return lambda value, field: v.url(value, field, max_length=max_length)


# --- regions and organisations --------------------------------------------------------------


def region_by_code(code: Any, field: str = "region") -> Region | None:
    """A region by its KATO code (``710000000``) or ISO 3166-2 code (``KZ-71``)."""
    raw = v.strip_controls(str(code or "")).strip()[:20]
    if not raw:
        return None
    region = Region.objects.filter(Q(kato=raw) | Q(iso_code__iexact=raw)).first()
    if region is None:
        raise FieldError(field, "unknown_region", _("No region has this KATO code."))
    return region


def _organisation_id(value: Any, field: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        pk = int(value)
    except (TypeError, ValueError) as exc:
        raise FieldError(field, "unknown_organisation", _("No such organisation.")) from exc
    if not v.valid_pk(pk) or not Organisation.objects.filter(pk=pk).exists():
        raise FieldError(field, "unknown_organisation", _("No such organisation."))
    return pk


ORGANISATION_FIELDS: dict[str, tuple[Cleaner, Any]] = {
    "kind": (lambda value, field: v.choice(value, field, OrganisationKind.values), ""),
    "name_kk": (_kazakh(300), ""),
    "name_ru": (_text(300, required=True), ""),
    "name_en": (_text(300), ""),
    "short_name_kk": (_text(120), ""),
    "short_name_ru": (_text(120), ""),
    "short_name_en": (_text(120), ""),
    "bin": (v.optional_bin, None),
    "region": (region_by_code, None),
    "parent_id": (_organisation_id, None),
    "website": (_url(), ""),
    "email": (v.email, ""),
    "phone": (v.optional_phone, ""),
    "address_kk": (_text(500), ""),
    "address_ru": (_text(500), ""),
    "is_active": (v.boolean, True),
}


def _creates_cycle(organisation_id: int, parent_id: int) -> bool:
    seen: set[int] = set()
    current: int | None = parent_id
    while current is not None and current not in seen:
        if current == organisation_id:
            return True
        seen.add(current)
        current = Organisation.objects.filter(pk=current).values_list("parent_id", flat=True)[0]
    return False


def clean_organisation(
    data: Mapping[str, Any], *, instance: Organisation | None = None
) -> dict[str, Any]:
    collector = v.Collector()
    cleaned = _apply(ORGANISATION_FIELDS, data, creating=instance is None, collector=collector)
    _check_unique(
        Organisation,
        "bin",
        cleaned,
        instance=instance,
        collector=collector,
        message=_("An organisation with this BIN is already registered."),
    )
    parent_id = cleaned.get("parent_id")
    if instance is not None and parent_id is not None and _creates_cycle(instance.pk, parent_id):
        collector.add(
            FieldError("parent_id", "parent_cycle", _("An organisation cannot be its own parent."))
        )
    kind = cleaned.get("kind") or (instance.kind if instance else "")
    region = cleaned.get("region", instance.region if instance else None)
    if kind == OrganisationKind.LOCAL_EXECUTIVE_BODY and region is None and not collector.errors:
        collector.add(
            FieldError("region", "region_required", _("A local executive body has a region."))
        )
    collector.raise_if_any()
    return cleaned


def _contact_value(kind: str, value: Any, field: str) -> str:
    raw = v.text(value, field, max_length=300, required=True)
    if kind == ContactKind.PHONE:
        return v.optional_phone(raw, field)
    if kind == ContactKind.EMAIL:
        return v.email(raw, field)
    if kind == ContactKind.WEBSITE:
        return v.url(raw, field, max_length=300)
    return raw


CONTACT_FIELDS: dict[str, tuple[Cleaner, Any]] = {
    "kind": (lambda value, field: v.choice(value, field, ContactKind.values), ""),
    "label_kk": (_text(200), ""),
    "label_ru": (_text(200), ""),
    "label_en": (_text(200), ""),
    "is_public": (v.boolean, True),
    "position": (lambda value, field: _small_int(value, field), 0),
}


def _small_int(value: Any, field: str) -> int:
    try:
        number = int(value or 0)
    except (TypeError, ValueError) as exc:
        raise FieldError(field, "integer", _("Enter a whole number.")) from exc
    if not 0 <= number <= 32767:
        raise FieldError(field, "integer", _("Enter a whole number."))
    return number


def clean_contact(
    data: Mapping[str, Any], *, instance: OrganisationContact | None = None
) -> dict[str, Any]:
    collector = v.Collector()
    cleaned = _apply(CONTACT_FIELDS, data, creating=instance is None, collector=collector)
    kind = cleaned.get("kind") or (instance.kind if instance else "")
    if "value" in data or instance is None or "kind" in data:
        raw = data.get("value", instance.value if instance else "")
        if kind:
            cleaned["value"] = collector.run(lambda: _contact_value(kind, raw, "value"), "")
    collector.raise_if_any()
    return cleaned


# --- by-laws --------------------------------------------------------------------------------

BYLAW_FIELDS: dict[str, tuple[Cleaner, Any]] = {
    "kind": (lambda value, field: v.choice(value, field, ByLawKind.values), ""),
    "title_kk": (_kazakh(1000), ""),
    "title_ru": (_text(1000, required=True), ""),
    "title_en": (_text(1000), ""),
    "number": (_text(40, required=True), ""),
    "adopted_on": (lambda value, field: v.date(value, field, required=True), None),
    "justice_registration_number": (_text(20), ""),
    "url": (_url(500), ""),
}


def bylaw_find(
    *, justice_registration_number: str, kind: str, number: str, adopted_on: dt.date | None
) -> ByLaw | None:
    """The by-law with this Ministry of Justice number, else with this kind, number and date."""
    if justice_registration_number:
        return ByLaw.objects.filter(justice_registration_number=justice_registration_number).first()
    if not number or adopted_on is None:
        return None
    return ByLaw.objects.filter(
        kind=kind, number=number, adopted_on=adopted_on, justice_registration_number=""
    ).first()


def clean_bylaw(data: Mapping[str, Any], *, instance: ByLaw | None = None) -> dict[str, Any]:
    collector = v.Collector()
    cleaned = _apply(BYLAW_FIELDS, data, creating=instance is None, collector=collector)
    _check_unique(
        ByLaw,
        "justice_registration_number",
        cleaned,
        instance=instance,
        collector=collector,
        message=_("A by-law with this registration number is already registered."),
    )
    collector.raise_if_any()
    return cleaned


AMENDMENT_FIELDS: dict[str, tuple[Cleaner, Any]] = {
    "amended_on": (lambda value, field: v.date(value, field, required=True), None),
    "number": (_text(40, required=True), ""),
    "title_kk": (_kazakh(1000), ""),
    "title_ru": (_text(1000, required=True), ""),
    "summary_kk": (_text(5000), ""),
    "summary_ru": (_text(5000), ""),
    "in_force_from": (lambda value, field: v.date(value, field), None),
}


def clean_amendment(data: Mapping[str, Any], *, bylaw: ByLaw) -> dict[str, Any]:
    collector = v.Collector()
    cleaned = _apply(AMENDMENT_FIELDS, data, creating=True, collector=collector)
    amended_on = cleaned.get("amended_on")
    if amended_on and bylaw.adopted_on and amended_on < bylaw.adopted_on:
        collector.add(
            FieldError(
                "amended_on",
                "before_bylaw",
                _("A change cannot be dated before the by-law itself."),
            )
        )
    in_force = cleaned.get("in_force_from")
    if amended_on and in_force and in_force < amended_on:
        collector.add(
            FieldError(
                "in_force_from",
                "before_amendment",
                _("A change cannot come into force before it is made."),
            )
        )
    if (
        amended_on
        and bylaw.pk is not None
        and cleaned.get("number")
        and bylaw.amendments.filter(number=cleaned["number"], amended_on=amended_on).exists()
    ):
        collector.add(FieldError("number", "duplicate", _("This change is already recorded.")))
    collector.raise_if_any()
    return cleaned


# --- public services ------------------------------------------------------------------------


def _provider_ids(value: Any, field: str) -> list[int]:
    if value is None or value == "":
        return []
    items = value if isinstance(value, list | tuple | set) else [value]
    try:
        ids = sorted({int(item) for item in items})
    except (TypeError, ValueError) as exc:
        raise FieldError(field, "unknown_organisation", _("No such organisation.")) from exc
    if not all(map(v.valid_pk, ids)) or Organisation.objects.filter(pk__in=ids).count() != len(ids):
        raise FieldError(field, "unknown_organisation", _("No such organisation."))
    return ids


def _bylaw_id(value: Any, field: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        pk = int(value)
    except (TypeError, ValueError) as exc:
        raise FieldError(field, "unknown_bylaw", _("No such by-law.")) from exc
    if not v.valid_pk(pk) or not ByLaw.objects.filter(pk=pk).exists():
        raise FieldError(field, "unknown_bylaw", _("No such by-law."))
    return pk


def _required_organisation_id(value: Any, field: str) -> int:
    pk = _organisation_id(value, field)
    if pk is None:
        raise FieldError(field, "required", _("This field is required."))
    return pk


def _register_number(value: Any, field: str) -> str:
    number = v.text(value, field, max_length=32, required=True)
    if any(ch.isspace() for ch in number):
        raise FieldError(field, "register_number_format", _("A register number has no spaces."))
    return number


SERVICE_FIELDS: dict[str, tuple[Cleaner, Any]] = {
    "register_number": (_register_number, ""),
    "name_kk": (_kazakh(1000), ""),
    "name_ru": (_text(1000, required=True), ""),
    "name_en": (_text(1000), ""),
    "owner_id": (_required_organisation_id, None),
    "provider_ids": (_provider_ids, None),
    "info_url": (_url(500), ""),
    "bylaw_id": (_bylaw_id, None),
    "is_active": (v.boolean, True),
}


def clean_service(
    data: Mapping[str, Any], *, instance: PublicService | None = None
) -> dict[str, Any]:
    collector = v.Collector()
    cleaned = _apply(SERVICE_FIELDS, data, creating=instance is None, collector=collector)
    _check_unique(
        PublicService,
        "register_number",
        cleaned,
        instance=instance,
        collector=collector,
        message=_("A service with this register number is already registered."),
    )
    collector.raise_if_any()
    return cleaned


# --- responsible persons --------------------------------------------------------------------

PERSON_FIELDS: dict[str, tuple[Cleaner, Any]] = {
    "organisation_id": (_required_organisation_id, None),
    "full_name": (_text(200, required=True), ""),
    "position_kk": (_text(300), ""),
    "position_ru": (_text(300), ""),
    "phones": (v.phone_list, None),
    "email": (v.email, ""),
    "appointed_on": (lambda value, field: v.date(value, field), None),
}


def _service_ids(value: Any, field: str) -> list[int]:
    if value is None or value == "":
        return []
    items = value if isinstance(value, list | tuple | set) else [value]
    try:
        ids = sorted({int(item) for item in items})
    except (TypeError, ValueError) as exc:
        raise FieldError(field, "unknown_service", _("No such public service.")) from exc
    if not all(map(v.valid_pk, ids)) or PublicService.objects.filter(pk__in=ids).count() != len(
        ids
    ):
        raise FieldError(field, "unknown_service", _("No such public service."))
    return ids


def clean_person(
    data: Mapping[str, Any], *, instance: ResponsiblePerson | None = None
) -> dict[str, Any]:
    collector = v.Collector()
    specs = dict(PERSON_FIELDS)
    specs["service_ids"] = (_service_ids, None)
    cleaned = _apply(specs, data, creating=instance is None, collector=collector)
    collector.raise_if_any()
    return cleaned
