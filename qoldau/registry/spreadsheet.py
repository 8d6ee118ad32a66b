"""The registry's spreadsheet layout (documented in docs/registry.md) and reading/writing it as
XLSX (openpyxl, write-only for export) or CSV (UTF-8 with a BOM, so Excel reads Cyrillic).

An XLSX file has one sheet per layout, named as below; a CSV file holds one layout, recognised
by its header row. The first row is the header of column codes; data starts on row 2.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook, load_workbook

from qoldau.core.errors import DomainError
from qoldau.registry.validators import message_with

ORGANISATIONS = "organisations"
SERVICES = "services"
AMENDMENTS = "amendments"

LAYOUTS: dict[str, tuple[str, ...]] = {
    ORGANISATIONS: (
        "bin",
        "kind",
        "name_kk",
        "name_ru",
        "name_en",
        "short_name_kk",
        "short_name_ru",
        "short_name_en",
        "region_kato",
        "parent_bin",
        "website",
        "email",
        "phone",
        "address_kk",
        "address_ru",
        "is_active",
    ),
    SERVICES: (
        "register_number",
        "name_kk",
        "name_ru",
        "name_en",
        "owner_bin",
        "provider_bins",
        "info_url",
        "is_active",
        "bylaw_kind",
        "bylaw_number",
        "bylaw_date",
        "bylaw_justice_number",
        "bylaw_title_kk",
        "bylaw_title_ru",
        "bylaw_title_en",
        "bylaw_url",
        "person_full_name",
        "person_organisation_bin",
        "person_position_kk",
        "person_position_ru",
        "person_phones",
        "person_email",
        "person_appointed_on",
        "acceptance_status",
        "consultation_from",
    ),
    AMENDMENTS: (
        "bylaw_justice_number",
        "bylaw_kind",
        "bylaw_number",
        "bylaw_date",
        "amended_on",
        "number",
        "title_kk",
        "title_ru",
        "summary_kk",
        "summary_ru",
        "in_force_from",
    ),
}
# Shown for information only; the acceptance state changes through its own service (R7).
READ_ONLY_COLUMNS = frozenset({"acceptance_status", "consultation_from"})
# Sheets in the order they are imported: organisations before the services that name them.
IMPORT_ORDER = (ORGANISATIONS, SERVICES, AMENDMENTS)
# Columns holding 12-digit identifiers whose leading zeros a spreadsheet may have dropped.
_BIN_COLUMNS = frozenset({"bin", "parent_bin", "owner_bin", "person_organisation_bin"})


@dataclass
class Sheet:
    name: str
    header: list[str]
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)  # (row number, cells)


# Far above a real registry (hundreds of services, a few thousand organisations), and low
# enough that a wrong or hostile file is refused before it fills memory: a workbook is a zip,
# so its unpacked size is checked from the zip's directory before anything is read.
MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_ROWS = 100_000


def bad_file(message: Any) -> DomainError:
    return DomainError("bad_file", message, field="file")


def cell_text(value: Any, column: str = "") -> str:
    """A cell as text: dates as ISO, whole numbers without ``.0``, BINs padded to 12 digits."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if column in _BIN_COLUMNS and text.isdigit() and len(text) < 12:
        text = text.zfill(12)
    return text


def _sheet_from_rows(name: str, rows: Iterator[Iterable[Any]]) -> Sheet:
    try:
        header = [cell_text(c).lower() for c in next(rows)]
    except StopIteration:
        return Sheet(name=name, header=[])
    while header and not header[-1]:
        header.pop()
    sheet = Sheet(name=name, header=header)
    for number, values in enumerate(rows, start=2):
        if number > MAX_ROWS + 1:
            raise bad_file(
                message_with(
                    _("The sheet %(sheet)s has more than %(limit)d rows; split the file."),
                    sheet=name,
                    limit=MAX_ROWS,
                )
            )
        cells = list(values)
        row = {
            column: cell_text(cells[i] if i < len(cells) else None, column)
            for i, column in enumerate(header)
            if column
        }
        if any(row.values()):
            sheet.rows.append((number, row))
    return sheet


def _layout_of_header(header: list[str]) -> str | None:
    columns = set(header)
    if "register_number" in columns:
        return SERVICES
    if "amended_on" in columns:
        return AMENDMENTS
    if {"bin", "kind"} <= columns:
        return ORGANISATIONS
    return None


def _check_header(sheet: Sheet) -> None:
    unknown = [c for c in sheet.header if c and c not in LAYOUTS[sheet.name]]
    if unknown:
        raise bad_file(
            message_with(
                _("The file has columns this layout does not know: %(columns)s"),
                columns=", ".join(unknown),
            )
        )


def read_file(stream: IO[bytes], filename: str) -> list[Sheet]:
    """The sheets of an uploaded or local file, in import order."""
    name = filename.lower()
    if _size(stream) > MAX_FILE_BYTES:
        raise too_big()
    if name.endswith(".xlsx"):
        sheets = _read_xlsx(stream)
    elif name.endswith(".csv"):
        sheets = [_read_csv(stream)]
    else:
        raise bad_file(_("Choose an .xlsx or .csv file."))
    for sheet in sheets:
        _check_header(sheet)
    return sorted(sheets, key=lambda s: IMPORT_ORDER.index(s.name))


def too_big() -> DomainError:
    return bad_file(
        message_with(
            _("The file is larger than %(limit)d MB; split it."),
            limit=MAX_FILE_BYTES // (1024 * 1024),
        )
    )


def _size(stream: IO[bytes]) -> int:
    at = stream.tell()
    size = stream.seek(0, io.SEEK_END)
    stream.seek(at)
    return size


def _unpacked_size(stream: IO[bytes]) -> int:
    """What the workbook's parts take unpacked, from the zip's directory (reads no data)."""
    at = stream.tell()
    try:
        with zipfile.ZipFile(stream) as archive:
            return sum(part.file_size for part in archive.infolist())
    finally:
        stream.seek(at)


def _read_xlsx(stream: IO[bytes]) -> list[Sheet]:
    try:
        if _unpacked_size(stream) > MAX_UNPACKED_BYTES:
            raise bad_file(
                message_with(
                    _("The workbook unpacks to more than %(limit)d MB; split it."),
                    limit=MAX_UNPACKED_BYTES // (1024 * 1024),
                )
            )
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise bad_file(_("This file is not a readable XLSX workbook.")) from exc
    sheets: list[Sheet] = []
    try:
        for worksheet in workbook.worksheets:
            title = worksheet.title.strip().lower()
            if title in LAYOUTS:
                sheets.append(_sheet_from_rows(title, worksheet.iter_rows(values_only=True)))
    finally:
        workbook.close()
    if not sheets:
        raise bad_file(
            _("The workbook has none of the sheets organisations, services, amendments.")
        )
    return sheets


def _read_csv(stream: IO[bytes]) -> Sheet:
    raw = stream.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise bad_file(_("Save the CSV file in UTF-8.")) from exc
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(
            text[:4096], delimiters=",;\t"
        )
    except csv.Error:
        dialect = csv.excel
    rows = iter(csv.reader(io.StringIO(text), dialect))
    try:
        header = [c.strip().lower() for c in next(rows)]
    except StopIteration as exc:
        raise bad_file(_("The file is empty.")) from exc
    layout = _layout_of_header(header)
    if layout is None:
        raise bad_file(_("The header row does not match any registry layout."))
    return _sheet_from_rows(layout, iter([header, *rows]))


def write_xlsx(stream: IO[bytes], sheets: Iterable[tuple[str, Iterable[list[Any]]]]) -> None:
    workbook = Workbook(write_only=True)
    for name, rows in sheets:
        worksheet = workbook.create_sheet(title=name)
        worksheet.append(list(LAYOUTS[name]))
        for row in rows:
            worksheet.append(row)
    workbook.save(stream)


def write_csv(stream: IO[bytes], name: str, rows: Iterable[list[Any]]) -> None:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="", write_through=True)
    writer = csv.writer(text)
    writer.writerow(LAYOUTS[name])
    for row in rows:
        writer.writerow([cell_text(value) for value in row])
    text.flush()
    text.detach()
