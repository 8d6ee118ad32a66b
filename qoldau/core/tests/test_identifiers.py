from __future__ import annotations

import datetime as dt
import random

import pytest

from qoldau.core.errors import FieldError
from qoldau.core.identifiers import (
    check_digit,
    normalise_bin,
    normalise_iin,
    normalise_iin_or_bin,
    normalise_phone,
    synthetic_bin,
    synthetic_iin,
)


def _flip_last_digit(value: str) -> str:
    return value[:-1] + str((int(value[-1]) + 1) % 10)


def test_check_digit_uses_second_weights_when_first_sum_gives_ten() -> None:
    # 00000000001 with weights 1..11 gives 11 % 11 = 0; a case needing the second pass:
    first_eleven = "00000000100"  # 9 * 1 = 9 -> 9 (first pass suffices)
    assert check_digit(first_eleven) == 9
    needs_second = "10000000001"  # 1*1 + 1*11 = 12 % 11 = 1
    assert check_digit(needs_second) == 1
    # 10 on the first pass: 1*10 = 10 -> second pass 1*1 (weight of 10th position is 1) = 1
    assert check_digit("00000000010") == 1


def test_synthetic_iins_are_valid_and_wrong_digits_are_refused() -> None:
    rng = random.Random(7)
    for year in (1955, 1987, 2004):
        iin = synthetic_iin(rng, dt.date(year, 3, 14), female=year == 1987)
        assert normalise_iin(iin) == iin
        with pytest.raises(FieldError) as caught:
            normalise_iin(_flip_last_digit(iin))
        assert caught.value.code in {"iin_check_digit"}
        assert caught.value.field == "iin"


def test_iin_with_spaces_is_normalised() -> None:
    iin = synthetic_iin(random.Random(1), dt.date(1990, 1, 2))
    assert normalise_iin(f" {iin[:6]} {iin[6:]} ") == iin


@pytest.mark.parametrize("bad", ["", "123", "12345678901a", "1234567890123"])
def test_iin_format_errors(bad: str) -> None:
    with pytest.raises(FieldError) as caught:
        normalise_iin(bad, field="applicant_iin")
    assert caught.value.field == "applicant_iin"
    assert caught.value.code == "iin_format"


def test_iin_with_impossible_birth_date_is_refused() -> None:
    head = "901331" + "3" + "9000"  # 31st of the 13th month
    digit = check_digit(head)
    assert digit is not None
    with pytest.raises(FieldError) as caught:
        normalise_iin(head + str(digit))
    assert caught.value.code == "iin_birth_date"


def test_bin_valid_invalid_and_told_apart_from_iin() -> None:
    rng = random.Random(3)
    bin_ = synthetic_bin(rng, dt.date(2010, 5, 1))
    assert bin_[4] == "4"
    assert normalise_bin(bin_) == bin_
    assert normalise_iin_or_bin(bin_) == bin_
    with pytest.raises(FieldError) as caught:
        normalise_bin(_flip_last_digit(bin_))
    assert caught.value.code == "bin_check_digit"
    iin = synthetic_iin(rng, dt.date(1980, 6, 1))
    assert normalise_iin_or_bin(iin) == iin


@pytest.mark.parametrize(
    "raw",
    ["+7 701 123 45 67", "8 701 123 45 67", "87011234567", "7011234567", "+7 (701) 123-45-67"],
)
def test_kazakhstan_mobile_numbers_normalise_to_e164(raw: str) -> None:
    assert normalise_phone(raw) == "+77011234567"


def test_almaty_landline_normalises() -> None:
    assert normalise_phone("8 727 250 00 00") == "+77272500000"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "phone_format"),
        ("hello", "phone_format"),
        ("+7 495 123 45 67", "phone_not_kz"),  # Moscow: +7 but Russia
        ("+44 20 7946 0958", "phone_not_kz"),
        ("+7 701 123", "phone_not_kz"),
        ("9" * 40, "phone_format"),
    ],
)
def test_bad_phone_numbers(raw: str, code: str) -> None:
    with pytest.raises(FieldError) as caught:
        normalise_phone(raw, field="contact_phone")
    assert caught.value.code == code
    assert caught.value.field == "contact_phone"
