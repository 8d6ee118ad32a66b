"""Export of the registry in the layout of ``spreadsheet.LAYOUTS`` (docs/registry.md).

The same row builders tell the import whether a re-imported row changed anything.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _

from qoldau.core.errors import FieldError
from qoldau.registry import spreadsheet
from qoldau.registry.models import (
    ByLawAmendment,
    Organisation,
    PublicService,
    ResponsiblePerson,
)

WHAT_CHOICES = (spreadsheet.SERVICES, spreadsheet.ORGANISATIONS, spreadsheet.AMENDMENTS)


def _date(value: Any) -> str:
    return value.isoformat() if value else ""


def organisation_row(org: Organisation) -> list[Any]:
    return [
        org.bin or "",
        org.kind,
        org.name_kk,
        org.name_ru,
        org.name_en,
        org.short_name_kk,
        org.short_name_ru,
        org.short_name_en,
        org.region.kato if org.region else "",
        org.parent.bin or "" if org.parent else "",
        org.website,
        org.email,
        org.phone,
        org.address_kk,
        org.address_ru,
        "yes" if org.is_active else "no",
    ]


def current_person(service: PublicService) -> ResponsiblePerson | None:
    """The service's current responsible person shown in its row (the earliest appointed)."""
    current = [p for p in service.responsible_persons.all() if p.replaced_on is None]
    current.sort(key=lambda p: (p.appointed_on is None, p.appointed_on, p.pk))
    return current[0] if current else None


def service_row(service: PublicService) -> list[Any]:
    bylaw = service.bylaw
    person = current_person(service)
    providers = sorted(p.bin for p in service.providers.all() if p.bin)
    return [
        service.register_number,
        service.name_kk,
        service.name_ru,
        service.name_en,
        service.owner.bin or "",
        "; ".join(providers),
        service.info_url,
        "yes" if service.is_active else "no",
        bylaw.kind if bylaw else "",
        bylaw.number if bylaw else "",
        _date(bylaw.adopted_on) if bylaw else "",
        bylaw.justice_registration_number if bylaw else "",
        bylaw.title_kk if bylaw else "",
        bylaw.title_ru if bylaw else "",
        bylaw.title_en if bylaw else "",
        bylaw.url if bylaw else "",
        person.full_name if person else "",
        person.organisation.bin or "" if person else "",
        person.position_kk if person else "",
        person.position_ru if person else "",
        "; ".join(person.phones or []) if person else "",
        person.email if person else "",
        _date(person.appointed_on) if person else "",
        service.acceptance_status,
        _date(service.consultation_from),
    ]


def amendment_row(amendment: ByLawAmendment) -> list[Any]:
    bylaw = amendment.bylaw
    return [
        bylaw.justice_registration_number,
        bylaw.kind,
        bylaw.number,
        _date(bylaw.adopted_on),
        _date(amendment.amended_on),
        amendment.number,
        amendment.title_kk,
        amendment.title_ru,
        amendment.summary_kk,
        amendment.summary_ru,
        _date(amendment.in_force_from),
    ]


def organisations_for_export() -> QuerySet[Organisation]:
    return Organisation.objects.select_related("region", "parent").order_by("kind", "name_ru")


def services_for_export() -> QuerySet[PublicService]:
    return (
        PublicService.objects.select_related("owner", "bylaw")
        .prefetch_related(
            Prefetch("providers", queryset=Organisation.objects.only("pk", "bin")),
            Prefetch(
                "responsible_persons",
                queryset=ResponsiblePerson.objects.select_related("organisation"),
            ),
        )
        .order_by("register_number")
    )


def amendments_for_export() -> QuerySet[ByLawAmendment]:
    return ByLawAmendment.objects.select_related("bylaw").order_by("bylaw_id", "amended_on", "pk")


def rows(what: str) -> Iterator[list[Any]]:
    if what == spreadsheet.ORGANISATIONS:
        return (organisation_row(o) for o in organisations_for_export().iterator(chunk_size=500))
    if what == spreadsheet.SERVICES:
        return (service_row(s) for s in services_for_export().iterator(chunk_size=500))
    if what == spreadsheet.AMENDMENTS:
        return (amendment_row(a) for a in amendments_for_export().iterator(chunk_size=500))
    raise FieldError("what", "invalid_choice", _("Choose one of the listed values."))


def registry_export(*, stream: IO[bytes], file_format: str, what: str | None = None) -> None:
    """Write the registry to ``stream``: every sheet in XLSX (or only ``what``), one sheet in CSV
    (``what``, services by default)."""
    if what is not None and what not in WHAT_CHOICES:
        raise FieldError("what", "invalid_choice", _("Choose one of the listed values."))
    if file_format == "xlsx":
        names = [what] if what else list(spreadsheet.IMPORT_ORDER)
        spreadsheet.write_xlsx(stream, ((name, rows(name)) for name in names))
    elif file_format == "csv":
        name = what or spreadsheet.SERVICES
        spreadsheet.write_csv(stream, name, rows(name))
    else:
        raise FieldError("format", "invalid_format", _("Choose an .xlsx or .csv file."))


def registry_export_to_path(*, path: Path, what: str | None = None) -> None:
    file_format = path.suffix.lower().lstrip(".")
    if file_format not in {"xlsx", "csv"}:
        raise FieldError("file", "invalid_format", _("Choose an .xlsx or .csv file."))
    with path.open("wb") as stream:
        registry_export(stream=stream, file_format=file_format, what=what)
