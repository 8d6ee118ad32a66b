"""Every setting the code reads is listed in .env.example (and nothing stale is listed there)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
READERS = re.compile(r"env\.(?:string|boolean|integer|strings|require|raw)\(\s*\"([A-Z0-9_]+)\"")
ENVIRON = re.compile(r"os\.environ(?:\.get)?[\[(]\s*\"([A-Z0-9_]+)\"")


def _documented() -> set[str]:
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    return {line.split("=", 1)[0] for line in text.splitlines() if re.match(r"^[A-Z0-9_]+=", line)}


def _read_by_code() -> set[str]:
    names: set[str] = set()
    for path in [*ROOT.glob("config/**/*.py"), *ROOT.glob("qoldau/**/*.py"), ROOT / "dev.py"]:
        if "tests" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        names |= set(READERS.findall(text)) | set(ENVIRON.findall(text))
    return names - {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL_IGNORED"}


def test_every_setting_read_is_documented() -> None:
    missing = _read_by_code() - _documented()
    assert missing == set(), f"add these to .env.example: {sorted(missing)}"


def test_every_documented_setting_is_read() -> None:
    read_by_tests = {"QOLDAU_REQUIRE_BROWSER", "QOLDAU_REQUIRE_DOVECOT"}
    stale = _documented() - _read_by_code() - read_by_tests
    assert stale == set(), f"no code reads these any more: {sorted(stale)}"
