from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import polib
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError


def _catalogue(base: Path, app: str, language: str, msgstr: str) -> Path:
    folder = base / "qoldau" / app / "locale" / language / "LC_MESSAGES"
    folder.mkdir(parents=True)
    po = polib.POFile()
    po.metadata = {"Content-Type": "text/plain; charset=UTF-8"}
    po.append(polib.POEntry(msgid="Appeal", msgstr=msgstr))
    path = folder / "django.po"
    po.save(str(path))
    return path


@pytest.fixture
def project(tmp_path: Path, settings: Any) -> Path:
    settings.BASE_DIR = tmp_path
    (tmp_path / "locale").mkdir()
    return tmp_path


def test_check_fails_on_a_missing_kazakh_string_and_a_stale_mo(project: Path) -> None:
    _catalogue(project, "appeals", "kk", "")
    _catalogue(project, "appeals", "ru", "Обращение")
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("i18n", "check", stderr=err)
    assert "untranslated: 'Appeal'" in err.getvalue()
    assert "out of date" in err.getvalue()


def test_compile_then_check_passes_for_complete_catalogues(project: Path) -> None:
    _catalogue(project, "appeals", "kk", "Өтініш")
    _catalogue(project, "appeals", "ru", "Обращение")
    call_command("i18n", "compile", stdout=StringIO())
    out = StringIO()
    call_command("i18n", "check", stdout=out)
    assert "2 catalogues complete" in out.getvalue()
    mo = polib.mofile(str(project / "qoldau/appeals/locale/kk/LC_MESSAGES/django.mo"))
    entry = mo.find("Appeal")
    assert entry is not None
    assert entry.msgstr == "Өтініш"
