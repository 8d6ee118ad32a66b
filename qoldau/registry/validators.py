"""Cleaning of raw input (API bodies, spreadsheet cells, admin forms) into stored values.

Each function returns the clean value or raises ``FieldError`` naming the field, with a
translatable message. ``Collector`` gathers several errors so one answer lists them all.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from typing import Any, TypeVar, cast

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.utils.functional import Promise, lazy
from django.utils.translation import gettext_lazy as _

from qoldau.core.errors import FieldError, ValidationFailed
from qoldau.core.identifiers import normalise_bin, normalise_phone

T = TypeVar("T")

# Kazakh letters folded to what a Russian keyboard types (R6), so search finds either spelling.
_FOLD = str.maketrans("әқүұіңғөһё", "акууингохе")
_SPACES = re.compile(r"\s+")
# Control characters (NUL above all: PostgreSQL refuses it in text) never belong in the registry.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# The largest primary key a bigint holds: a bigger "id" is simply not found.
MAX_PK = 2**63 - 1
_DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y")


def _interpolate(message: str | Promise, params: dict[str, Any]) -> str:
    return str(message) % params


def message_with(message: str | Promise, **params: Any) -> Promise:
    """A translatable message with its parameters filled in when it is shown (so in the reader's
    language, not the one active when the error was raised)."""
    return cast("Promise", lazy(_interpolate, str)(message, params))


def too_long(field: str, limit: int) -> FieldError:
    return FieldError(
        field, "too_long", message_with(_("Use at most %(limit)d characters."), limit=limit)
    )


def search_fold(*parts: str | None) -> str:
    """Lower-case, Kazakh-folded text for ``search_text`` columns and search queries."""
    text = _CONTROL.sub("", " ".join(p for p in parts if p))
    return _SPACES.sub(" ", text.casefold().translate(_FOLD)).strip()


def strip_controls(value: str) -> str:
    return _CONTROL.sub("", value)


def valid_pk(value: int) -> bool:
    return 0 < value <= MAX_PK


class Collector:
    """Runs cleaning steps and keeps every field error, so all are reported together."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def run(self, step: Callable[[], T], default: T) -> T:
        try:
            return step()
        except ValidationFailed as exc:
            self.errors.extend(exc.errors)
        except FieldError as exc:
            self.errors.append(exc)
        return default

    def add(self, error: FieldError) -> None:
        self.errors.append(error)

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationFailed(self.errors)


def text(value: Any, field: str, *, max_length: int, required: bool = False) -> str:
    cleaned = _SPACES.sub(" ", _CONTROL.sub("", str(value if value is not None else ""))).strip()
    if required and not cleaned:
        raise FieldError(field, "required", _("This field is required."))
    if len(cleaned) > max_length:
        raise too_long(field, max_length)
    return cleaned


def kazakh_name(value: Any, field: str, *, max_length: int) -> str:
    """Kazakh is the state language: a name in Kazakh is never left empty (R34)."""
    cleaned = text(value, field, max_length=max_length)
    if not cleaned:
        raise FieldError(field, "required_kk", _("Enter the name in Kazakh."))
    return cleaned


def choice(value: Any, field: str, choices: Iterable[str]) -> str:
    cleaned = str(value or "").strip()
    if cleaned not in set(choices):
        raise FieldError(field, "invalid_choice", _("Choose one of the listed values."))
    return cleaned


def optional_bin(value: Any, field: str = "bin") -> str | None:
    raw = str(value or "").strip()
    return normalise_bin(raw, field) if raw else None


def optional_phone(value: Any, field: str = "phone") -> str:
    raw = str(value or "").strip()
    return normalise_phone(raw, field) if raw else ""


def phone_list(value: Any, field: str = "phones") -> list[str]:
    """Several phones, as a list or separated by ``;`` or ``,`` in one cell."""
    if value is None or value == "":
        return []
    items = value if isinstance(value, list | tuple) else re.split(r"[;,\n]", str(value))
    phones: list[str] = []
    for item in items:
        raw = str(item).strip()
        if raw:
            phone = normalise_phone(raw, field)
            if phone not in phones:
                phones.append(phone)
    return phones


def email(value: Any, field: str = "email") -> str:
    cleaned = str(value or "").strip()
    if not cleaned:
        return ""
    try:
        EmailValidator()(cleaned)
    except ValidationError as exc:
        raise FieldError(field, "email_format", _("Enter a valid e-mail address.")) from exc
    if len(cleaned) > 254:
        raise too_long(field, 254)
    return cleaned


def url(value: Any, field: str, *, max_length: int = 200) -> str:
    cleaned = str(value or "").strip()
    if not cleaned:
        return ""
    if "://" not in cleaned:
        cleaned = "https://" + cleaned
    try:
        URLValidator(schemes=["http", "https"])(cleaned)
    except ValidationError as exc:
        raise FieldError(field, "url_format", _("Enter a valid web address.")) from exc
    if len(cleaned) > max_length:
        raise too_long(field, max_length)
    return cleaned


def date(value: Any, field: str, *, required: bool = False) -> dt.date | None:
    """A date given as a ``date``, ISO ``2024-05-31`` or ``31.05.2024``."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    raw = str(value or "").strip()
    if not raw:
        if required:
            raise FieldError(field, "required", _("This field is required."))
        return None
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(raw[:10], fmt).date()  # noqa: DTZ007 (a date only)
        except ValueError:
            continue
    raise FieldError(field, "date_format", _("Enter a date as YYYY-MM-DD or DD.MM.YYYY."))


def boolean(value: Any, field: str) -> bool:
    if isinstance(value, bool):
        return value
    raw = str(value if value is not None else "").strip().casefold()
    if raw in {"1", "true", "yes", "да", "иә", "y"}:
        return True
    if raw in {"0", "false", "no", "нет", "жоқ", "n", ""}:
        return False
    raise FieldError(field, "boolean", _("Enter yes or no."))
