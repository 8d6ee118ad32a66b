"""Identifiers and phone numbers as the registry cleans them (core.identifiers underneath)."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest

from qoldau.core.errors import FieldError
from qoldau.core.identifiers import normalise_iin, synthetic_bin, synthetic_iin
from qoldau.registry import validators as v

RNG = random.Random(7)
GOOD_BIN = synthetic_bin(RNG, dt.date(2015, 6, 1))
GOOD_IIN = synthetic_iin(RNG, dt.date(1990, 3, 14))


def _wrong_check_digit(value: str) -> str:
    return value[:11] + str((int(value[11]) + 1) % 10)


def test_good_bin_is_kept() -> None:
    assert v.optional_bin(f" {GOOD_BIN} ") == GOOD_BIN


def test_empty_bin_is_none() -> None:
    assert v.optional_bin("") is None


def test_bin_with_wrong_check_digit_names_the_field() -> None:
    with pytest.raises(FieldError) as caught:
        v.optional_bin(_wrong_check_digit(GOOD_BIN), "owner_bin")
    assert caught.value.field == "owner_bin"
    assert caught.value.code == "bin_check_digit"


@pytest.mark.parametrize("value", ["12345", "12345678901a", "1234567890123"])
def test_bin_of_wrong_length_or_letters_is_refused(value: str) -> None:
    with pytest.raises(FieldError) as caught:
        v.optional_bin(value)
    assert caught.value.code == "bin_format"


def test_good_iin_passes_and_wrong_check_digit_fails() -> None:
    assert normalise_iin(GOOD_IIN) == GOOD_IIN
    with pytest.raises(FieldError) as caught:
        normalise_iin(_wrong_check_digit(GOOD_IIN))
    assert caught.value.code == "iin_check_digit"


@pytest.mark.parametrize(
    "raw",
    ["8 701 123 45 67", "+7 701 123 45 67", "701 123 45 67", "87011234567", "+7 (701) 123-45-67"],
)
def test_kazakhstan_mobile_number_in_every_common_form(raw: Any) -> None:
    assert v.optional_phone(raw) == "+77011234567"


def test_landline_of_astana_is_accepted() -> None:
    assert v.optional_phone("8 7172 74 00 00").startswith("+77172")


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("+1 202 555 0143", "phone_not_kz"),  # United States
        ("+7 495 123 45 67", "phone_not_kz"),  # Moscow: +7 but Russia
        ("+44 20 7946 0958", "phone_not_kz"),
        ("12345", "phone_not_kz"),
        ("not a phone", "phone_format"),
    ],
)
def test_numbers_outside_kazakhstan_are_refused(raw: Any, code: str) -> None:
    with pytest.raises(FieldError) as caught:
        v.optional_phone(raw, "phone")
    assert caught.value.field == "phone"
    assert caught.value.code == code


def test_phone_list_splits_normalises_and_dedupes() -> None:
    assert v.phone_list("8 701 123 45 67; +77011234567, 7021234567") == [
        "+77011234567",
        "+77021234567",
    ]


def test_phone_list_reports_the_bad_number() -> None:
    with pytest.raises(FieldError) as caught:
        v.phone_list(["+77011234567", "+1 202 555 0143"], "person_phones")
    assert caught.value.field == "person_phones"


@pytest.mark.parametrize("raw", ["2024-05-31", "31.05.2024", dt.date(2024, 5, 31)])
def test_dates_in_iso_and_local_form(raw: Any) -> None:
    assert v.date(raw, "adopted_on") == dt.date(2024, 5, 31)


def test_bad_date_names_the_field() -> None:
    with pytest.raises(FieldError) as caught:
        v.date("31/02/2024", "adopted_on")
    assert caught.value.field == "adopted_on"


def test_empty_kazakh_name_is_refused() -> None:
    with pytest.raises(FieldError) as caught:
        v.kazakh_name("   ", "name_kk", max_length=10)
    assert caught.value.code == "required_kk"


def test_url_gets_a_scheme_and_bad_url_is_refused() -> None:
    assert v.url("egov.kz", "info_url") == "https://egov.kz"
    with pytest.raises(FieldError):
        v.url("http://", "info_url")


def test_search_fold_matches_kazakh_typed_on_a_russian_keyboard() -> None:
    assert v.search_fold("Жеке куәлік") == v.search_fold("жеке куалик")
    assert v.search_fold("ЭЦҚ") == "эцк"
