"""Kazakhstan's personal and business identifiers (IIN, BIN) and phone numbers.

IIN and BIN share one 12-digit layout with a mod-11 check digit computed with two weight
sequences; no maintained library covers them, so they are written here and tested hard.
"""

from __future__ import annotations

import datetime as dt
import random
import re

import phonenumbers
from django.utils.translation import gettext_lazy as _

from qoldau.core.errors import FieldError

_WEIGHTS_FIRST = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
_WEIGHTS_SECOND = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)
_TWELVE_DIGITS = re.compile(r"^\d{12}$")
# The 7th IIN digit: century and sex (1/2: 1800s, 3/4: 1900s, 5/6: 2000s); 0 for some foreigners.
_CENTURY_BY_DIGIT = {"1": 1800, "2": 1800, "3": 1900, "4": 1900, "5": 2000, "6": 2000}
# The 5th BIN digit: 4 resident legal entity, 5 non-resident, 6 individual entrepreneur (joint).
_BIN_ENTITY_TYPES = frozenset("456")


def check_digit(first_eleven: str) -> int | None:
    """The 12th digit for 11 digits, or None where no valid digit exists."""
    digits = [int(c) for c in first_eleven]
    total = sum(d * w for d, w in zip(digits, _WEIGHTS_FIRST, strict=True)) % 11
    if total == 10:
        total = sum(d * w for d, w in zip(digits, _WEIGHTS_SECOND, strict=True)) % 11
        if total == 10:
            return None
    return total


def _has_valid_check_digit(value: str) -> bool:
    return check_digit(value[:11]) == int(value[11])


def normalise_iin(value: str, field: str = "iin") -> str:
    """Return the IIN (12 digits) or raise a field error saying what is wrong with it."""
    iin = re.sub(r"\s+", "", value or "")
    if not _TWELVE_DIGITS.match(iin):
        raise FieldError(field, "iin_format", _("An IIN is exactly 12 digits."))
    if not _has_valid_check_digit(iin):
        raise FieldError(field, "iin_check_digit", _("This IIN has a wrong check digit."))
    century = _CENTURY_BY_DIGIT.get(iin[6])
    if century is not None:
        try:
            dt.date(century + int(iin[0:2]), int(iin[2:4]), int(iin[4:6]))
        except ValueError as exc:
            raise FieldError(
                field, "iin_birth_date", _("The first six digits of an IIN are a birth date.")
            ) from exc
    return iin


def normalise_bin(value: str, field: str = "bin") -> str:
    """Return the BIN (12 digits) or raise a field error saying what is wrong with it."""
    bin_ = re.sub(r"\s+", "", value or "")
    if not _TWELVE_DIGITS.match(bin_):
        raise FieldError(field, "bin_format", _("A BIN is exactly 12 digits."))
    if not 1 <= int(bin_[2:4]) <= 12 or bin_[4] not in _BIN_ENTITY_TYPES:
        raise FieldError(field, "bin_layout", _("This is not a BIN of a registered entity."))
    if not _has_valid_check_digit(bin_):
        raise FieldError(field, "bin_check_digit", _("This BIN has a wrong check digit."))
    return bin_


def normalise_iin_or_bin(value: str, field: str = "iin_bin") -> str:
    """An applicant may give either; BINs are told apart by their 5th digit."""
    digits = re.sub(r"\s+", "", value or "")
    if len(digits) == 12 and digits.isdigit() and digits[4] in _BIN_ENTITY_TYPES:
        try:
            return normalise_bin(digits, field)
        except FieldError:
            pass
    return normalise_iin(digits, field)


def normalise_phone(value: str, field: str = "phone") -> str:
    """A Kazakhstan phone number in E.164 (+77011234567); 8 7xx, +7 7xx and 7xx forms accepted."""
    raw = (value or "").strip()
    if not raw or len(raw) > 32:
        raise FieldError(field, "phone_format", _("Enter a Kazakhstan phone number."))
    digits = re.sub(r"\D", "", raw)
    if len(digits) == 10 and digits.startswith("7"):
        raw = "+7" + digits
    try:
        number = phonenumbers.parse(raw, "KZ")
    except phonenumbers.NumberParseException as exc:
        raise FieldError(field, "phone_format", _("Enter a Kazakhstan phone number.")) from exc
    if not phonenumbers.is_valid_number(number) or (
        phonenumbers.region_code_for_number(number) != "KZ"
    ):
        raise FieldError(
            field, "phone_not_kz", _("This is not a valid phone number in Kazakhstan.")
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _complete(first_eleven: str) -> str | None:
    digit = check_digit(first_eleven)
    return None if digit is None else first_eleven + str(digit)


def synthetic_iin(rng: random.Random, birth: dt.date, *, female: bool = False) -> str:
    """A made-up IIN with a valid check digit, for demo data and tests (never a real person's)."""
    century_digit = {1800: 1, 1900: 3, 2000: 5}[birth.year // 100 * 100] + int(female)
    while True:
        # Serial numbers from 9000 up are not issued, so a synthetic IIN collides with no one.
        head = f"{birth:%y%m%d}{century_digit}{rng.randint(9000, 9999):04d}"
        iin = _complete(head)
        if iin:
            return iin


def synthetic_bin(rng: random.Random, registered: dt.date, *, entity_type: str = "4") -> str:
    """A made-up BIN with a valid check digit, for demo data and tests."""
    while True:
        head = f"{registered:%y%m}{entity_type}0{rng.randint(90000, 99999):05d}"
        bin_ = _complete(head)
        if bin_:
            return bin_
