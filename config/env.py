"""The one typed reader of the process environment (and of an optional ``.env`` file).

Every setting the code reads is listed in ``.env.example`` with its safe default.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path


class ImproperlyConfiguredError(RuntimeError):
    """A setting is missing or malformed; the message names it."""


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def read_dotenv(path: Path) -> dict[str, str]:
    """Parse KEY=VALUE lines; comments and blank lines are skipped, quotes stripped."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        values[key.strip()] = value.strip().strip("'\"")
    return values


class Env:
    """Typed access to settings: the real environment wins over the ``.env`` file."""

    def __init__(self, environ: Mapping[str, str], dotenv: Mapping[str, str] | None = None):
        # An empty value means "unset": .env.example lists every setting, many of them blank.
        merged = {**(dotenv or {}), **environ}
        self._values = {k: v for k, v in merged.items() if v.strip() != ""}

    def raw(self, name: str) -> str | None:
        return self._values.get(name)

    def string(self, name: str, default: str = "") -> str:
        return self._values.get(name, default)

    def boolean(self, name: str, default: bool = False) -> bool:
        value = self._values.get(name)
        if value is None:
            return default
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ImproperlyConfiguredError(f"{name} must be true or false, not {value!r}")

    def integer(self, name: str, default: int) -> int:
        value = self._values.get(name)
        if value is None or value.strip() == "":
            return default
        try:
            return int(value)
        except ValueError as exc:
            raise ImproperlyConfiguredError(
                f"{name} must be a whole number, not {value!r}"
            ) from exc

    def strings(self, name: str, default: list[str] | None = None) -> list[str]:
        value = self._values.get(name)
        if value is None:
            return list(default or [])
        return [item.strip() for item in value.split(",") if item.strip()]

    def require(self, name: str) -> str:
        value = self._values.get(name, "").strip()
        if not value:
            raise ImproperlyConfiguredError(f"{name} must be set in production")
        return value


def load(base_dir: Path) -> Env:
    return Env(os.environ, read_dotenv(base_dir / ".env"))
