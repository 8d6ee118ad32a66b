"""Import of the registry from the layout of ``spreadsheet.LAYOUTS`` (docs/registry.md).

Every row goes through the same services as the API, inside one transaction: a row that fails
is reported with its sheet, row number, column and message (in the active language), and unless
``valid_only`` is asked for, one broken row means nothing is stored. Rows are matched by BIN
(organisations), register number (services), Ministry of Justice number or kind, number and
date (by-laws), so importing the same file twice changes nothing the second time.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, cast

from django.db import transaction
from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _

from qoldau.accounts.access import access_require_role
from qoldau.accounts.enums import Role
from qoldau.core import clock
from qoldau.core.errors import DomainError, FieldError, ValidationFailed
from qoldau.registry import cleaning, exporting, services, spreadsheet
from qoldau.registry import validators as v
from qoldau.registry.models import Organisation, PublicService, ResponsiblePerson

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"
OUTCOMES = (CREATED, UPDATED, UNCHANGED)


@dataclass(frozen=True)
class RowError:
    sheet: str
    row: int
    column: str
    message: str


@dataclass
class ImportReport:
    errors: list[RowError] = field(default_factory=list)
    outcomes: Counter[tuple[str, str]] = field(default_factory=Counter)
    applied: bool = False
    dry_run: bool = False
    valid_only: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def broken_rows(self) -> int:
        return len({(e.sheet, e.row) for e in self.errors})

    def count(self, sheet: str, outcome: str) -> int:
        return self.outcomes[(sheet, outcome)]


# --- error mapping: service field names to the file's columns -------------------------------


def _remap(error: DomainError, mapping: Mapping[str, str], default: str) -> FieldError:
    column = mapping.get(error.field or "", error.field or default)
    return FieldError(column, error.code, error.message)


@contextmanager
def _columns(mapping: Mapping[str, str], default: str) -> Iterator[None]:
    try:
        yield
    except ValidationFailed as exc:
        raise ValidationFailed([_remap(e, mapping, default) for e in exc.errors]) from exc
    except DomainError as exc:
        raise ValidationFailed([_remap(exc, mapping, default)]) from exc


ORGANISATION_COLUMNS = {"region": "region_kato", "parent_id": "parent_bin"}
SERVICE_COLUMNS = {
    "owner_id": "owner_bin",
    "provider_ids": "provider_bins",
    "bylaw_id": "bylaw_number",
}
BYLAW_COLUMNS = {
    "kind": "bylaw_kind",
    "number": "bylaw_number",
    "adopted_on": "bylaw_date",
    "justice_registration_number": "bylaw_justice_number",
    "title_kk": "bylaw_title_kk",
    "title_ru": "bylaw_title_ru",
    "title_en": "bylaw_title_en",
    "url": "bylaw_url",
}
PERSON_COLUMNS = {
    "organisation_id": "person_organisation_bin",
    "service_ids": "person_organisation_bin",
    "full_name": "person_full_name",
    "position_kk": "person_position_kk",
    "position_ru": "person_position_ru",
    "phones": "person_phones",
    "email": "person_email",
    "appointed_on": "person_appointed_on",
    "replaced_on": "person_appointed_on",
    "successor_id": "person_full_name",
    "person_id": "person_full_name",
}


# --- helpers --------------------------------------------------------------------------------


def _given(cells: Mapping[str, str], columns: Mapping[str, str]) -> dict[str, Any]:
    """Data for a service from the columns the file has (a missing column changes nothing)."""
    return {key: cells[column] for column, key in columns.items() if column in cells}


def _organisation_by_bin(value: str, column: str, *, required: bool = False) -> int | None:
    if not value:
        if required:
            raise FieldError(column, "required", _("This field is required."))
        return None
    bin_ = v.optional_bin(value, column)
    found = Organisation.objects.filter(bin=bin_).values_list("pk", flat=True).first()
    if found is None:
        raise FieldError(
            column,
            "unknown_organisation",
            _("No organisation has this BIN; add it to the organisations sheet."),
        )
    return found


def _outcome(before: list[Any] | None, after: list[Any]) -> str:
    if before is None:
        return CREATED
    return UNCHANGED if before == after else UPDATED


# --- organisations --------------------------------------------------------------------------

_ORGANISATION_DATA = {
    "kind": "kind",
    "name_kk": "name_kk",
    "name_ru": "name_ru",
    "name_en": "name_en",
    "short_name_kk": "short_name_kk",
    "short_name_ru": "short_name_ru",
    "short_name_en": "short_name_en",
    "region_kato": "region",
    "website": "website",
    "email": "email",
    "phone": "phone",
    "address_kk": "address_kk",
    "address_ru": "address_ru",
}


def _import_organisation(actor: Any, cells: Mapping[str, str]) -> str:
    with _columns(ORGANISATION_COLUMNS, "bin"):
        bin_ = v.optional_bin(cells.get("bin"), "bin")
        if bin_ is None:
            raise FieldError("bin", "required", _("This field is required."))
        data = _given(cells, _ORGANISATION_DATA)
        data["bin"] = bin_
        if "is_active" in cells:
            data["is_active"] = cells["is_active"] or "yes"
        if "parent_bin" in cells:
            data["parent_id"] = _organisation_by_bin(cells["parent_bin"], "parent_bin")
        existing = Organisation.objects.select_related("region", "parent").filter(bin=bin_)
        current = existing.first()
        before = exporting.organisation_row(current) if current else None
        if current is None:
            organisation = services.organisation_create(
                actor=actor, data=cast(services.OrganisationData, data)
            )
        else:
            organisation = services.organisation_update(
                actor=actor,
                organisation_id=current.pk,
                data=cast(services.OrganisationData, data),
            )
        fresh = Organisation.objects.select_related("region", "parent").get(pk=organisation.pk)
        return _outcome(before, exporting.organisation_row(fresh))


def _parents_first(rows: list[tuple[int, dict[str, str]]]) -> list[tuple[int, dict[str, str]]]:
    """Order organisation rows so that a parent in the same file is imported before its
    children (a ministry before its committee)."""
    by_bin = {re.sub(r"\s", "", cells.get("bin", "")): (n, cells) for n, cells in rows}
    ordered: list[tuple[int, dict[str, str]]] = []
    placed: set[int] = set()

    def place(number: int, cells: dict[str, str], depth: int = 0) -> None:
        if number in placed:
            return
        parent = by_bin.get(re.sub(r"\s", "", cells.get("parent_bin", "")))
        if parent is not None and parent[0] != number and depth < 50:
            place(*parent, depth=depth + 1)
        placed.add(number)
        ordered.append((number, cells))

    for number, cells in rows:
        place(number, cells)
    return ordered


# --- services, their by-laws and responsible persons ----------------------------------------

_SERVICE_DATA = {
    "register_number": "register_number",
    "name_kk": "name_kk",
    "name_ru": "name_ru",
    "name_en": "name_en",
    "info_url": "info_url",
}
_BYLAW_DATA = {
    "bylaw_kind": "kind",
    "bylaw_number": "number",
    "bylaw_date": "adopted_on",
    "bylaw_justice_number": "justice_registration_number",
    "bylaw_title_kk": "title_kk",
    "bylaw_title_ru": "title_ru",
    "bylaw_title_en": "title_en",
    "bylaw_url": "url",
}
_PERSON_DATA = {
    "person_full_name": "full_name",
    "person_position_kk": "position_kk",
    "person_position_ru": "position_ru",
    "person_phones": "phones",
    "person_email": "email",
    "person_appointed_on": "appointed_on",
}


def _service_with_rows(pk: int) -> PublicService:
    return (
        PublicService.objects.select_related("owner", "bylaw")
        .prefetch_related(
            "providers",
            Prefetch(
                "responsible_persons",
                queryset=ResponsiblePerson.objects.select_related("organisation"),
            ),
        )
        .get(pk=pk)
    )


def _import_service(actor: Any, cells: Mapping[str, str]) -> str:
    number = cells.get("register_number", "").strip()
    current = PublicService.objects.filter(register_number=number).first() if number else None
    before = exporting.service_row(_service_with_rows(current.pk)) if current else None
    data = _given(cells, _SERVICE_DATA)
    with _columns(SERVICE_COLUMNS, "register_number"):
        if "is_active" in cells:
            data["is_active"] = cells["is_active"] or "yes"
        if "owner_bin" in cells or current is None:
            data["owner_id"] = _organisation_by_bin(
                cells.get("owner_bin", ""), "owner_bin", required=True
            )
        if "provider_bins" in cells:
            data["provider_ids"] = [
                _organisation_by_bin(item, "provider_bins")
                for item in re.split(r"[;,\s]+", cells["provider_bins"])
                if item
            ]
    bylaw_cells = {c: cells[c] for c in _BYLAW_DATA if c in cells}
    if any(bylaw_cells.values()):
        with _columns(BYLAW_COLUMNS, "bylaw_number"):
            bylaw, _created = services.bylaw_upsert(
                actor=actor,
                data=cast(services.ByLawData, _given(bylaw_cells, _BYLAW_DATA)),
            )
        data["bylaw_id"] = bylaw.pk
    elif bylaw_cells:
        data["bylaw_id"] = None
    with _columns(SERVICE_COLUMNS, "register_number"):
        if current is None:
            service = services.service_create(actor=actor, data=cast(services.ServiceData, data))
        else:
            service = services.service_update(
                actor=actor,
                service_id=current.pk,
                data=cast(services.ServiceData, data),
            )
    person_cells = {c: cells[c] for c in (*_PERSON_DATA, "person_organisation_bin") if c in cells}
    if any(person_cells.values()):
        with _columns(PERSON_COLUMNS, "person_full_name"):
            _import_person(actor, service, person_cells)
    return _outcome(before, exporting.service_row(_service_with_rows(service.pk)))


def _import_person(actor: Any, service: PublicService, cells: Mapping[str, str]) -> None:
    """Make the named person the service's current responsible person: update their details,
    or record the replacement of the one before them (Rules p.27)."""
    organisation_id = (
        _organisation_by_bin(cells.get("person_organisation_bin", ""), "organisation_id")
        or service.owner_id
    )
    data: dict[str, Any] = _given(cells, _PERSON_DATA)
    full_name = v.text(data.get("full_name"), "full_name", max_length=200, required=True)
    data["full_name"] = full_name
    current = list(
        service.responsible_persons.filter(
            organisation_id=organisation_id, replaced_on__isnull=True
        ).order_by("appointed_on", "pk")
    )
    same = next((p for p in current if p.full_name == full_name), None)
    if same is not None:
        services.responsible_person_update(
            actor=actor, person_id=same.pk, data=cast(services.PersonData, data)
        )
        return
    existing = ResponsiblePerson.objects.filter(
        organisation_id=organisation_id, full_name=full_name, replaced_on__isnull=True
    ).first()
    if existing is not None:
        linked = sorted({*existing.services.values_list("pk", flat=True), service.pk})
        services.responsible_person_update(
            actor=actor,
            person_id=existing.pk,
            data=cast(services.PersonData, {**data, "service_ids": linked}),
        )
    if current:
        when = v.date(data.get("appointed_on"), "appointed_on") or clock.today()
        services.responsible_person_replace(
            actor=actor,
            person_id=current[0].pk,
            replaced_on=when,
            successor=None
            if existing
            else cast(services.PersonData, {**data, "organisation_id": organisation_id}),
            successor_id=existing.pk if existing else None,
        )
    elif existing is None:
        services.responsible_person_appoint(
            actor=actor,
            data=cast(
                services.PersonData,
                {**data, "organisation_id": organisation_id, "service_ids": [service.pk]},
            ),
        )


# --- amendments -----------------------------------------------------------------------------

_AMENDMENT_DATA = {
    "amended_on": "amended_on",
    "number": "number",
    "title_kk": "title_kk",
    "title_ru": "title_ru",
    "summary_kk": "summary_kk",
    "summary_ru": "summary_ru",
    "in_force_from": "in_force_from",
}


def _import_amendment(actor: Any, cells: Mapping[str, str]) -> str:
    with _columns({}, "number"):
        bylaw = cleaning.bylaw_find(
            justice_registration_number=cells.get("bylaw_justice_number", "").strip(),
            kind=cells.get("bylaw_kind", "").strip(),
            number=cells.get("bylaw_number", "").strip(),
            adopted_on=v.date(cells.get("bylaw_date"), "bylaw_date"),
        )
        if bylaw is None:
            raise FieldError(
                "bylaw_justice_number",
                "unknown_bylaw",
                _("No such by-law; list it in the services sheet first."),
            )
        amended_on = v.date(cells.get("amended_on"), "amended_on", required=True)
        number = cells.get("number", "").strip()
        recorded = bylaw.amendments.filter(number=number)
        if amended_on is not None and recorded.filter(amended_on=amended_on).exists():
            return UNCHANGED
        services.service_record_bylaw_change(
            actor=actor,
            bylaw_id=bylaw.pk,
            data=cast(services.AmendmentData, _given(cells, _AMENDMENT_DATA)),
        )
        return CREATED


HANDLERS: dict[str, Callable[[Any, Mapping[str, str]], str]] = {
    spreadsheet.ORGANISATIONS: _import_organisation,
    spreadsheet.SERVICES: _import_service,
    spreadsheet.AMENDMENTS: _import_amendment,
}


def registry_import(
    *,
    actor: Any,
    sheets: list[spreadsheet.Sheet],
    valid_only: bool = False,
    dry_run: bool = False,
) -> ImportReport:
    """Import the sheets in one transaction. With errors, nothing is stored unless
    ``valid_only``; with ``dry_run`` nothing is stored at all, and the report says what would
    have been created, updated or left unchanged."""
    if actor is not None:
        access_require_role(actor, Role.UCC_ADMIN)
    report = ImportReport(dry_run=dry_run, valid_only=valid_only)
    with transaction.atomic(durable=True):
        for sheet in sheets:
            rows = (
                _parents_first(sheet.rows)
                if sheet.name == spreadsheet.ORGANISATIONS
                else sheet.rows
            )
            for number, cells in rows:
                try:
                    with transaction.atomic():
                        outcome = HANDLERS[sheet.name](actor, cells)
                except ValidationFailed as exc:
                    report.errors.extend(
                        RowError(sheet.name, number, e.field or "", str(e.message))
                        for e in exc.errors
                    )
                    continue
                except DomainError as exc:
                    report.errors.append(
                        RowError(sheet.name, number, exc.field or "", str(exc.message))
                    )
                    continue
                report.outcomes[(sheet.name, outcome)] += 1
        report.applied = not dry_run and (report.ok or valid_only)
        if not report.applied:
            transaction.set_rollback(True)
    report.errors.sort(key=lambda e: (spreadsheet.IMPORT_ORDER.index(e.sheet), e.row))
    return report
