"""Import and export of the registry (XLSX and CSV): per-row errors, all-or-nothing unless
``--valid-only``, idempotent re-import, export→import round trip, the command and the page."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook, load_workbook

from qoldau.audit.models import AuditEvent
from qoldau.core.errors import PermissionDenied
from qoldau.core.identifiers import synthetic_bin
from qoldau.registry import exporting, importing, spreadsheet
from qoldau.registry.demo import load_demo_registry
from qoldau.registry.models import (
    ByLaw,
    ByLawAmendment,
    Organisation,
    PublicService,
    ResponsiblePerson,
)
from qoldau.registry.tests.conftest import Partner
from qoldau.registry.tests.factories import fresh_bin

pytestmark = pytest.mark.django_db


def _organisation_row(bin_: str, name: str, **cells: str) -> dict[str, str]:
    return {
        "bin": bin_,
        "kind": "central_state_body",
        "name_kk": f"{name} министрлігі",
        "name_ru": f"Министерство {name}",
        "region_kato": "710000000",
        "phone": "8 7172 74 00 00",
        **cells,
    }


def _service_row(number: str, owner_bin: str, **cells: str) -> dict[str, str]:
    return {
        "register_number": number,
        "name_kk": "Анықтама беру",
        "name_ru": "Выдача справки",
        "owner_bin": owner_bin,
        "bylaw_kind": "ministerial_order",
        "bylaw_number": "267",
        "bylaw_date": "30.03.2020",
        "bylaw_justice_number": "20209",
        "bylaw_title_kk": "Қағидаларды бекіту туралы",
        "bylaw_title_ru": "Об утверждении правил",
        "person_full_name": "Ахметова Айгерим Сериковна",
        "person_position_ru": "Главный эксперт",
        "person_phones": "8 701 123 45 67; +7 702 123 45 67",
        "person_email": "a.ahmetova@mvd.example",
        "person_appointed_on": "2024-01-15",
        **cells,
    }


def _xlsx(path: Path, sheets: dict[str, list[dict[str, str]]]) -> Path:
    workbook = Workbook()
    workbook.remove(workbook.worksheets[0])
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        sheet.append(list(spreadsheet.LAYOUTS[name]))
        for row in rows:
            sheet.append([row.get(column, "") for column in spreadsheet.LAYOUTS[name]])
    workbook.save(path)
    return path


def _import(path: Path, **options: Any) -> importing.ImportReport:
    with path.open("rb") as stream:
        sheets = spreadsheet.read_file(stream, path.name)
    return importing.registry_import(actor=None, sheets=sheets, **options)


def _registry_snapshot() -> tuple[int, ...]:
    return (
        Organisation.objects.count(),
        PublicService.objects.count(),
        ByLaw.objects.count(),
        ResponsiblePerson.objects.count(),
        ByLawAmendment.objects.count(),
    )


@pytest.fixture
def good_file(tmp_path: Path) -> Path:
    ministry, committee = fresh_bin(), fresh_bin()
    return _xlsx(
        tmp_path / "registry.xlsx",
        {
            "organisations": [
                # the committee comes first: the import puts its parent before it
                _organisation_row(committee, "Комитет", parent_bin=ministry),
                _organisation_row(ministry, "Ішкі істер"),
            ],
            "services": [
                _service_row("701001", ministry),
                _service_row("701002", ministry, provider_bins=committee),
            ],
            "amendments": [
                {
                    "bylaw_justice_number": "20209",
                    "amended_on": "2022-01-27",
                    "number": "58",
                    "title_kk": "Өзгерістер енгізу туралы",
                    "title_ru": "О внесении изменений",
                }
            ],
        },
    )


def test_a_good_file_imports_everything(good_file: Path) -> None:
    report = _import(good_file)
    assert report.ok, report.errors
    assert report.applied
    assert report.count("organisations", "created") == 2
    assert report.count("services", "created") == 2
    committee = Organisation.objects.get(name_ru="Министерство Комитет")
    assert committee.parent == Organisation.objects.get(name_ru="Министерство Ішкі істер")
    service = PublicService.objects.get(register_number="701002")
    assert list(service.providers.all()) == [committee]
    bylaw = ByLaw.objects.get(services=service)
    assert bylaw.justice_registration_number == "20209"
    assert bylaw.amendments.get().number == "58"
    person = service.responsible_persons.get()
    assert person.phones == ["+77011234567", "+77021234567"]
    assert ByLaw.objects.count() == 1  # both services share one by-law
    assert ResponsiblePerson.objects.count() == 1  # and one person
    assert AuditEvent.objects.filter(action="registry.service_created").count() == 2


def test_reimport_is_idempotent(good_file: Path) -> None:
    _import(good_file)
    snapshot, audit = _registry_snapshot(), AuditEvent.objects.count()
    report = _import(good_file)
    assert report.ok
    assert report.count("services", "unchanged") == 2
    assert report.count("organisations", "unchanged") == 2
    assert report.count("amendments", "unchanged") == 1
    assert _registry_snapshot() == snapshot
    assert AuditEvent.objects.count() == audit


def test_reimport_updates_changed_rows(good_file: Path, tmp_path: Path) -> None:
    _import(good_file)
    ministry = Organisation.objects.get(name_ru="Министерство Ішкі істер")
    changed = _xlsx(
        tmp_path / "changed.xlsx",
        {
            "services": [
                _service_row("701001", ministry.bin or "", name_ru="Выдача справки (новая)")
            ]
        },
    )
    report = _import(changed)
    assert report.count("services", "updated") == 1
    assert PublicService.objects.get(register_number="701001").name_ru == "Выдача справки (новая)"


def test_a_new_person_in_the_file_replaces_the_old_one(good_file: Path, tmp_path: Path) -> None:
    _import(good_file)
    ministry = Organisation.objects.get(name_ru="Министерство Ішкі істер")
    changed = _xlsx(
        tmp_path / "new-person.xlsx",
        {
            "services": [
                _service_row(
                    "701001",
                    ministry.bin or "",
                    person_full_name="Омаров Данияр Болатович",
                    person_appointed_on="2024-06-03",
                )
            ]
        },
    )
    assert _import(changed).ok
    old = ResponsiblePerson.objects.get(full_name="Ахметова Айгерим Сериковна")
    new = ResponsiblePerson.objects.get(full_name="Омаров Данияр Болатович")
    assert old.replaced_by == new
    assert str(old.replaced_on) == "2024-06-03"


def test_a_broken_row_imports_nothing_and_names_row_and_column(tmp_path: Path) -> None:
    ministry = fresh_bin()
    bad_bin = ministry[:11] + str((int(ministry[11]) + 1) % 10)
    path = _xlsx(
        tmp_path / "broken.xlsx",
        {
            "organisations": [
                _organisation_row(ministry, "Әділет"),
                _organisation_row(bad_bin, "Қаржы"),
            ],
            "services": [
                _service_row("701001", ministry),
                _service_row("701002", ministry, person_phones="+1 202 555 0143"),
                _service_row("701003", ministry, name_kk=""),
            ],
        },
    )
    snapshot = _registry_snapshot()
    report = _import(path)
    assert not report.applied
    assert _registry_snapshot() == snapshot
    found = {(e.sheet, e.row, e.column) for e in report.errors}
    assert found == {
        ("organisations", 3, "bin"),
        ("services", 3, "person_phones"),
        ("services", 4, "name_kk"),
    }
    assert report.broken_rows == 3


def test_valid_only_imports_the_good_rows(tmp_path: Path) -> None:
    ministry = fresh_bin()
    path = _xlsx(
        tmp_path / "broken.xlsx",
        {
            "organisations": [_organisation_row(ministry, "Әділет")],
            "services": [
                _service_row("701001", ministry),
                _service_row("701002", fresh_bin()),  # an owner nobody registered
            ],
        },
    )
    report = _import(path, valid_only=True)
    assert report.applied
    assert [(e.row, e.column) for e in report.errors] == [(3, "owner_bin")]
    assert list(PublicService.objects.values_list("register_number", flat=True)) == ["701001"]


def test_dry_run_stores_nothing_but_reports(good_file: Path) -> None:
    snapshot = _registry_snapshot()
    report = _import(good_file, dry_run=True)
    assert report.ok
    assert not report.applied
    assert report.count("services", "created") == 2
    assert _registry_snapshot() == snapshot


def test_error_messages_follow_the_language(tmp_path: Path) -> None:
    row = _organisation_row(fresh_bin(), "А", name_kk="")
    path = _xlsx(tmp_path / "kk.xlsx", {"organisations": [row]})
    with translation.override("ru"):
        report = _import(path)
    assert report.errors[0].column == "name_kk"
    assert report.errors[0].message == "Введите название на казахском языке."


def test_export_then_import_round_trip(tmp_path: Path) -> None:
    load_demo_registry()
    xlsx = tmp_path / "all.xlsx"
    exporting.registry_export_to_path(path=xlsx)
    workbook = load_workbook(xlsx, read_only=True)
    assert workbook.sheetnames == ["organisations", "services", "amendments"]
    header = next(workbook["services"].iter_rows(values_only=True))
    assert list(header) == list(spreadsheet.LAYOUTS["services"])
    workbook.close()
    snapshot, audit = _registry_snapshot(), AuditEvent.objects.count()
    report = _import(xlsx)
    assert report.ok, report.errors[:3]
    assert report.count("services", "unchanged") == PublicService.objects.count()
    assert report.count("organisations", "unchanged") == Organisation.objects.count()
    assert _registry_snapshot() == snapshot
    assert AuditEvent.objects.count() == audit


def test_round_trip_into_an_empty_registry(tmp_path: Path) -> None:
    load_demo_registry()
    xlsx = tmp_path / "all.xlsx"
    exporting.registry_export_to_path(path=xlsx)
    before = {s.register_number: exporting.service_row(s) for s in exporting.services_for_export()}
    ResponsiblePerson.objects.all().delete()
    PublicService.objects.all().delete()
    ByLaw.objects.all().delete()
    Organisation.objects.update(parent=None)
    Organisation.objects.all().delete()
    report = _import(xlsx)
    assert report.ok, report.errors[:3]
    after = {s.register_number: exporting.service_row(s) for s in exporting.services_for_export()}
    # The acceptance state is not imported (R7: it changes through its own service).
    status_columns = slice(len(spreadsheet.LAYOUTS["services"]) - 2, None)
    for number, row in before.items():
        assert after[number][: status_columns.start] == row[: status_columns.start], number
    assert ByLawAmendment.objects.count() == 10


def test_csv_has_a_bom_and_round_trips(tmp_path: Path) -> None:
    load_demo_registry()
    path = tmp_path / "services.csv"
    exporting.registry_export_to_path(path=path, what="services")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == list(spreadsheet.LAYOUTS["services"])
    assert len(rows) == 51
    report = _import(path)
    assert report.ok
    assert report.count("services", "unchanged") == 50


def test_semicolon_csv_from_excel_is_read(tmp_path: Path) -> None:
    bin_ = fresh_bin()
    text = "bin;kind;name_kk;name_ru\n" + f"{bin_};service_provider;ХҚКО;ЦОН\n"
    path = tmp_path / "orgs.csv"
    path.write_bytes(text.encode("utf-8-sig"))
    assert _import(path).ok
    assert Organisation.objects.get(bin=bin_).name_kk == "ХҚКО"


def test_bin_that_lost_its_leading_zero_is_padded(tmp_path: Path) -> None:
    bin_ = synthetic_bin(random.Random(5), dt.date(2005, 3, 1))  # registered in 2005: "05…"
    assert bin_.startswith("0")
    path = tmp_path / "orgs.xlsx"
    workbook = Workbook()
    sheet = workbook.worksheets[0]
    sheet.title = "organisations"
    sheet.append(["bin", "kind", "name_kk", "name_ru"])
    sheet.append([int(bin_), "service_provider", "ХҚКО", "ЦОН"])  # Excel made it a number
    workbook.save(path)
    report = _import(path)
    assert report.ok, report.errors
    assert Organisation.objects.filter(bin=bin_).exists()


@pytest.mark.parametrize(
    ("name", "content"),
    [("file.txt", b"hello"), ("file.xlsx", b"not a zip"), ("file.csv", b"a,b\n1,2\n")],
)
def test_unreadable_files_are_refused_cleanly(name: str, content: bytes) -> None:
    from qoldau.core.errors import DomainError

    with pytest.raises(DomainError) as caught:
        spreadsheet.read_file(io.BytesIO(content), name)
    assert caught.value.field == "file"


def test_unknown_column_is_refused(tmp_path: Path) -> None:
    from qoldau.core.errors import DomainError

    path = tmp_path / "x.csv"
    path.write_text("register_number,name_kk,colour\n1,А,red\n", encoding="utf-8")
    with pytest.raises(DomainError):
        spreadsheet.read_file(path.open("rb"), path.name)


def test_only_administrators_import(good_file: Path, org_a: Partner) -> None:
    with good_file.open("rb") as stream:
        sheets = spreadsheet.read_file(stream, good_file.name)
    with pytest.raises(PermissionDenied):
        importing.registry_import(actor=org_a.user, sheets=sheets)


# --- the command ----------------------------------------------------------------------------


def test_command_exits_non_zero_with_the_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _xlsx(
        tmp_path / "bad.xlsx",
        {"organisations": [_organisation_row(fresh_bin(), "А", phone="+44 20 7946 0958")]},
    )
    with pytest.raises(CommandError):
        call_command("registry", "--language", "en", "import", str(path))
    err = capsys.readouterr().err
    assert "organisations, row 2, column phone" in err
    assert Organisation.objects.count() == 0


def test_command_valid_only_and_dry_run(
    tmp_path: Path, good_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("registry", "--language", "en", "import", str(good_file), "--dry-run")
    assert PublicService.objects.count() == 0
    call_command("registry", "--language", "en", "import", str(good_file))
    assert PublicService.objects.count() == 2
    out = capsys.readouterr().out
    assert "services: 2 created, 0 updated, 0 unchanged" in out


def test_command_exports_xlsx_and_csv(tmp_path: Path) -> None:
    load_demo_registry()
    call_command("registry", "export", str(tmp_path / "r.xlsx"))
    call_command("registry", "export", str(tmp_path / "o.csv"), "--what", "organisations")
    assert (tmp_path / "r.xlsx").stat().st_size > 0
    lines = (tmp_path / "o.csv").read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("bin,kind,name_kk")
    assert len(lines) == 31
    with pytest.raises(CommandError):
        call_command("registry", "export", str(tmp_path / "r.pdf"))


# --- the page -------------------------------------------------------------------------------


def test_import_page_checks_then_imports(admin_client: Client, good_file: Path) -> None:
    url = reverse("registry:import")
    assert admin_client.get(url).status_code == 200
    upload = SimpleUploadedFile("registry.xlsx", good_file.read_bytes())
    checked = admin_client.post(url, {"action": "check", "file": upload})
    assert checked.status_code == 200
    assert PublicService.objects.count() == 0  # checking stores nothing
    assert checked.context["report"].count("services", "created") == 2
    confirmed = admin_client.post(url, {"action": "confirm"})
    assert confirmed.context["report"].applied
    assert PublicService.objects.count() == 2


def test_import_page_shows_row_errors_and_needs_valid_only(
    admin_client: Client, tmp_path: Path
) -> None:
    ministry = fresh_bin()
    path = _xlsx(
        tmp_path / "bad.xlsx",
        {
            "organisations": [_organisation_row(ministry, "А")],
            "services": [_service_row("1", ministry), _service_row("2", ministry, name_kk="")],
        },
    )
    url = reverse("registry:import")
    checked = admin_client.post(
        url, {"action": "check", "file": SimpleUploadedFile("bad.xlsx", path.read_bytes())}
    )
    html = checked.content.decode()
    assert "name_kk" in html
    assert 'name="valid_only"' in html
    refused = admin_client.post(url, {"action": "confirm"})
    assert not refused.context["report"].applied
    assert PublicService.objects.count() == 0
    admin_client.post(
        url, {"action": "check", "file": SimpleUploadedFile("bad.xlsx", path.read_bytes())}
    )
    admin_client.post(url, {"action": "confirm", "valid_only": "on"})
    assert list(PublicService.objects.values_list("register_number", flat=True)) == ["1"]


def test_import_page_reports_a_bad_file(admin_client: Client) -> None:
    response = admin_client.post(
        reverse("registry:import"),
        {"action": "check", "file": SimpleUploadedFile("x.pdf", b"%PDF")},
    )
    assert response.status_code == 200
    assert response.context["error"]


def test_export_download(admin_client: Client) -> None:
    load_demo_registry()
    xlsx = admin_client.get(reverse("registry:export"), {"format": "xlsx"})
    assert xlsx.status_code == 200
    assert xlsx["Content-Disposition"].startswith("attachment;")
    assert load_workbook(io.BytesIO(xlsx.content)).sheetnames == list(spreadsheet.IMPORT_ORDER)
    csv_response = admin_client.get(
        reverse("registry:export"), {"format": "csv", "what": "organisations"}
    )
    assert csv_response.content.startswith(b"\xef\xbb\xbf")


def test_operator_cannot_export(operator_user: Any) -> None:
    client = Client()
    client.force_login(operator_user)
    assert client.get(reverse("registry:export")).status_code == 403


def test_a_workbook_that_unpacks_too_big_is_refused_before_reading(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A zip bomb: the unpacked size comes from the zip's directory, not from unpacking."""
    from qoldau.core.errors import DomainError

    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * 3_000_000)
    monkeypatch.setattr(spreadsheet, "MAX_UNPACKED_BYTES", 2 * 1024 * 1024)

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("the workbook was opened")

    monkeypatch.setattr(spreadsheet, "load_workbook", never)
    with pytest.raises(DomainError) as caught, path.open("rb") as stream:
        spreadsheet.read_file(stream, path.name)
    assert (caught.value.field, caught.value.code) == ("file", "bad_file")
    assert "2" in str(caught.value.message)


def test_a_sheet_with_too_many_rows_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from qoldau.core.errors import DomainError

    monkeypatch.setattr(spreadsheet, "MAX_ROWS", 3)
    path = tmp_path / "many.csv"
    rows = "".join(f"{n},Қызмет {n},Услуга {n}\n" for n in range(1, 6))
    path.write_text("register_number,name_kk,name_ru\n" + rows, encoding="utf-8")
    with pytest.raises(DomainError) as caught, path.open("rb") as stream:
        spreadsheet.read_file(stream, path.name)
    assert "more than 3 rows" in str(caught.value.message)
    assert not PublicService.objects.exists()


def test_the_import_page_refuses_a_file_too_big_in_kazakh(
    admin_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(spreadsheet, "MAX_FILE_BYTES", 1024 * 1024)
    uploads = Path(settings.MEDIA_ROOT) / "registry-imports"
    before = len(list(uploads.glob("*"))) if uploads.exists() else 0
    big = SimpleUploadedFile("big.csv", b"register_number\n" + b"1\n" * 600_000)
    response = admin_client.post("/kk/registry/import/", {"action": "check", "file": big})
    assert response.status_code == 200
    assert response.context["error"] == "Файл 1 МБ-тан үлкен; оны бөліңіз."
    assert (len(list(uploads.glob("*"))) if uploads.exists() else 0) == before  # not kept
