"""``qoldau workdays``: the outputs other people rely on, and clear errors (R32)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("workdays", *args, stdout=out)
    return out.getvalue()


def test_add_prints_the_date() -> None:
    assert run("add", "2024-12-31", "2") == "2025-01-06\n"
    assert run("add", "2024-05-02", "2") == "2024-05-04\n"
    assert run("add", "2025-01-06", "-2") == "2024-12-31\n"


def test_between_prints_the_count() -> None:
    assert run("between", "2025-01-01", "2025-12-31") == "246\n"


def test_next_prints_the_date() -> None:
    assert run("next", "2025-03-07") == "2025-03-11\n"


def test_is_tells_the_status_and_the_reason() -> None:
    working = run("is", "2025-01-05")
    assert working.startswith("2025-01-05 working")
    assert "weekend made a working day" in working
    assert "03.01.2025" in working
    holiday = run("is", "2025-03-24")
    assert holiday.startswith("2025-03-24 non-working")
    assert "Nowruz" in holiday
    override = run("is", "2026-08-31", "--lang", "ru")
    assert override.startswith("2026-08-31 рабочий —")
    assert "15 марта" in override


def test_is_speaks_kazakh() -> None:
    out = run("is", "2025-03-24", "--lang", "kk")
    assert out.startswith("2025-03-24 жұмыс емес күн — мереке күні: Наурыз мейрамы")


def test_show_prints_a_month() -> None:
    out = run("show", "2026-05", "--lang", "en").splitlines()
    assert out[0] == "May 2026: 17 working days of 31"
    assert len(out) == 32
    assert out[1].startswith("2026-05-01 Fri non-working")
    assert "People Solidarity" in out[1]
    assert out[4].startswith("2026-05-04 Mon working")


def test_load_reports_the_years() -> None:
    assert run("load", "--year", "2027") == "loaded: 2027\n"
    assert run("ensure", "--through", "2028") == "loaded: 2028\n"
    assert run("ensure", "--through", "2028") == "nothing to load through 2028\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("add", "2024-13-01", "2"), "Not a date"),
        (("add", "2024-12-31", "two"), "Not a whole number"),
        (("between", "2025-01-01", "2031-01-01"), "--year 2031"),
        (("add", "2027-12-20", "30"), "no data for 2028"),
        (("is", "2015-06-01"), "--year 2015"),
        (("show", "2026-13"), "Not a month"),
        (("load", "--year", "20x7"), "Not a whole number"),
        (("load", "--year", "1800"), "between"),
    ],
)
def test_bad_input_is_a_clear_command_error(args: tuple[str, ...], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        run(*args)
