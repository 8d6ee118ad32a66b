"""Translations: ``i18n extract`` (xgettext via makemessages), ``i18n compile`` (pure Python, so
a fresh clone needs no gettext tools), ``i18n check`` (kk and ru complete, .mo in step with .po)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import polib
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

# Kazakh is the state language and Russian the other official one: both must be complete.
REQUIRED_LANGUAGES = ("kk", "ru")
ALL_LANGUAGES = ("kk", "ru", "en")


def locale_roots(app: str | None = None) -> list[Path]:
    """The project's locale folder plus each of our apps' own (each app owns its strings)."""
    base = Path(settings.BASE_DIR)
    if app:
        return [base / "qoldau" / app / "locale"]
    roots = [base / "locale"]
    roots += sorted(p for p in (base / "qoldau").glob("*/locale") if p.is_dir())
    return roots


def po_files(app: str | None = None) -> list[Path]:
    return sorted(
        path for root in locale_roots(app) for path in root.glob("*/LC_MESSAGES/django*.po")
    )


def compiled_bytes(po_path: Path) -> bytes:
    tmp = po_path.with_suffix(".mo.tmp")
    polib.pofile(str(po_path)).save_as_mofile(str(tmp))
    data = tmp.read_bytes()
    tmp.unlink()
    return data


class Command(BaseCommand):
    help = "Extract, compile and check the kk/ru/en translations."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["extract", "compile", "check"])
        parser.add_argument("--app", help="only this app's catalogues (e.g. registry)")

    def handle(self, *args: Any, **options: Any) -> None:
        self.app: str | None = options["app"]
        getattr(self, f"_{options['action']}")()

    def _extract(self) -> None:
        base = Path(settings.BASE_DIR)
        for root in locale_roots(self.app):
            root.mkdir(exist_ok=True)
            os.chdir(root.parent)
            ignore = (
                ["qoldau/*", "var/*", ".venv/*", "bench/*", "tests/*"]
                if root.parent == base
                else []
            )
            for domain in ("django", "djangojs"):
                if domain == "djangojs" and not list(root.parent.rglob("*.js")):
                    continue
                call_command(
                    "makemessages",
                    locale=list(ALL_LANGUAGES),
                    domain=domain,
                    ignore_patterns=[*ignore, "tests/*", "static/vendor/*"],
                    no_obsolete=True,
                    add_location="file",
                    verbosity=0,
                )
        os.chdir(base)
        self.stdout.write(f"extracted into {len(po_files(self.app))} catalogues")

    def _compile(self) -> None:
        for path in po_files(self.app):
            path.with_suffix(".mo").write_bytes(compiled_bytes(path))
        self.stdout.write(f"compiled {len(po_files(self.app))} catalogues")

    def _check(self) -> None:
        problems: list[str] = []
        for path in po_files(self.app):
            language = path.parent.parent.name
            catalogue = polib.pofile(str(path))
            if language in REQUIRED_LANGUAGES:
                missing = [e.msgid for e in catalogue.untranslated_entries()]
                fuzzy = [e.msgid for e in catalogue.fuzzy_entries()]
                for msgid in missing[:5]:
                    problems.append(f"{path}: untranslated: {msgid!r}")
                for msgid in fuzzy[:5]:
                    problems.append(f"{path}: fuzzy: {msgid!r}")
                if len(missing) + len(fuzzy) > 10:
                    problems.append(f"{path}: {len(missing)} untranslated, {len(fuzzy)} fuzzy")
            mo = path.with_suffix(".mo")
            if not mo.exists() or mo.read_bytes() != compiled_bytes(path):
                problems.append(f"{mo}: out of date; run `qoldau i18n compile`")
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(f"{len(problems)} translation problems")
        self.stdout.write(
            f"{len(po_files(self.app))} catalogues complete for {', '.join(REQUIRED_LANGUAGES)}"
        )
