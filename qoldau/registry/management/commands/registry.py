"""``qoldau registry export FILE.xlsx|FILE.csv [--what …]`` and
``qoldau registry import FILE [--valid-only] [--dry-run]`` (layout: docs/registry.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from qoldau.core.errors import DomainError
from qoldau.registry import exporting, importing, spreadsheet


class Command(BaseCommand):
    help = "Export or import the registry of organisations and public services (XLSX or CSV)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--language",
            choices=[code for code, _label in settings.LANGUAGES],
            default=settings.LANGUAGE_CODE,
            help="language of the messages (kk, ru, en)",
        )
        actions = parser.add_subparsers(dest="action", required=True)
        export = actions.add_parser("export", help="write the registry to an .xlsx or .csv file")
        export.add_argument("file", type=Path)
        export.add_argument(
            "--what",
            choices=exporting.WHAT_CHOICES,
            help="one sheet only (a CSV file holds one; services by default)",
        )
        load = actions.add_parser("import", help="read the registry from an .xlsx or .csv file")
        load.add_argument("file", type=Path)
        load.add_argument(
            "--valid-only",
            action="store_true",
            help="import the valid rows even when others are broken",
        )
        load.add_argument("--dry-run", action="store_true", help="check only, store nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        with translation.override(options["language"]):
            try:
                if options["action"] == "export":
                    self._export(options["file"], options["what"])
                else:
                    self._import(options["file"], options["valid_only"], options["dry_run"])
            except DomainError as exc:
                raise CommandError(str(exc.message)) from exc

    def _export(self, path: Path, what: str | None) -> None:
        exporting.registry_export_to_path(path=path, what=what)
        self.stdout.write(_("Exported to %(file)s") % {"file": path})

    def _import(self, path: Path, valid_only: bool, dry_run: bool) -> None:
        if not path.is_file():
            raise CommandError(_("No such file: %(file)s") % {"file": path})
        with path.open("rb") as stream:
            sheets = spreadsheet.read_file(stream, path.name)
        report = importing.registry_import(
            actor=None, sheets=sheets, valid_only=valid_only, dry_run=dry_run
        )
        for error in report.errors:
            self.stderr.write(
                _("%(sheet)s, row %(row)d, column %(column)s: %(message)s")
                % {
                    "sheet": error.sheet,
                    "row": error.row,
                    "column": error.column,
                    "message": error.message,
                }
            )
        for sheet in spreadsheet.IMPORT_ORDER:
            counts = {o: report.count(sheet, o) for o in importing.OUTCOMES}
            if any(counts.values()):
                self.stdout.write(
                    _(
                        "%(sheet)s: %(created)d created, %(updated)d updated, "
                        "%(unchanged)d unchanged"
                    )
                    % {"sheet": sheet, **counts}
                )
        if dry_run:
            self.stdout.write(_("Dry run: nothing was stored."))
        elif not report.applied:
            self.stdout.write(_("Nothing was imported."))
        if report.errors:
            rows = report.broken_rows
            raise CommandError(
                ngettext("%(rows)d row has errors.", "%(rows)d rows have errors.", rows)
                % {"rows": rows}
            )
