"""Ratings of whole local days sealed into ``RatingDay`` (R13): the quality page reads the same
tables from the rollup as from the call records, whatever part of the period is sealed."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from qoldau.accounts.enums import Role
from qoldau.registry.models import Organisation, PublicService
from qoldau.reports import quality
from qoldau.reports.models import CallInterval, RatingDay, RollupMark
from qoldau.reports.periods import Period, local_midnight, period_of_days
from qoldau.reports.rollup import call_intervals_seal, rating_days_seal
from qoldau.reports.tests.conftest import MakeUser
from qoldau.reports.tests.helpers import local, make_call

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 11, 10)
BEFORE, AFTER = DAY - dt.timedelta(days=1), DAY + dt.timedelta(days=1)
THREE_DAYS = period_of_days(BEFORE, AFTER)


def _service(number: str, name_kk: str, name_ru: str) -> PublicService:
    owner = Organisation.objects.get_or_create(
        kind="central_body", name_kk="Министрлік", name_ru="Министерство"
    )[0]
    return PublicService.objects.create(
        register_number=number, name_kk=name_kk, name_ru=name_ru, owner=owner
    )


def _rated_calls(user_with: MakeUser) -> dict[str, Any]:
    """Rated and unrated calls over three days, some late in the evening (local time), with
    and without an operator and a service, on two lines."""
    first, second = user_with(Role.OPERATOR), user_with(Role.OPERATOR)
    first.first_name, first.last_name = "Айгүл", "Серікова"
    first.save(update_fields=["first_name", "last_name"])
    passport = _service("00101001", "Төлқұжат беру", "Выдача паспорта")
    pension = _service("00202002", "Зейнетақы тағайындау", "Назначение пенсии")
    plan = [
        (BEFORE, 9, 5, first, passport, "1414"),
        (BEFORE, 23, 4, second, None, "1414"),
        (DAY, 0, 3, first, pension, "88000807777"),
        (DAY, 10, 5, first, passport, "1414"),
        (DAY, 10, 1, None, None, "1414"),
        (DAY, 23, 2, second, pension, ""),
        (AFTER, 1, 5, second, passport, "1414"),
        (AFTER, 12, 4, first, None, "88000807777"),
    ]
    for day, hour, score, operator, service, line in plan:
        make_call(local(day, hour, 30), wait=5.0, rating=score, operator=operator,
                  service=service, line=line)  # fmt: skip
        make_call(local(day, hour, 40), wait=5.0, operator=operator, line=line)  # not rated
    return {"first": first, "second": second, "passport": passport, "pension": pension}


def _tables(period: Period) -> dict[str, quality.RatingTable]:
    return {dim: quality.rating_table(period, dim) for dim in quality.RATING_DIMENSIONS}


def test_sealed_days_give_the_same_tables_as_the_call_records(user_with: MakeUser) -> None:
    made = _rated_calls(user_with)
    inside = Period(local(BEFORE, 12), local(AFTER, 6))  # edges inside days
    raw, raw_inside = _tables(THREE_DAYS), _tables(inside)
    assert raw["operator"].total.rated == 8
    assert raw_inside["operator"].total.rated == 6

    # At 03:00 on the third day, the first two days have ended more than two hours ago.
    written = rating_days_seal(now=local(AFTER, 3))
    assert written == RatingDay.objects.count() > 0
    assert set(RatingDay.objects.values_list("day", flat=True)) == {BEFORE, DAY}
    mark = RollupMark.objects.get(name=quality.RATING_MARK)
    assert mark.until == local_midnight(AFTER)

    assert _tables(THREE_DAYS) == raw
    assert _tables(inside) == raw_inside
    assert [(row.label, row.rated, row.average) for row in raw["operator"].rows] == [
        ("Айгүл Серікова", 4, 4.25),
        (made["second"].username, 3, pytest.approx(11 / 3)),
        ("No operator", 1, 1.0),
    ]
    assert raw["operator"].rows[0].distribution == (0, 0, 1, 1, 2)
    assert {row.label: row.rated for row in raw["line"].rows} == {
        "1414": 5,
        "88000807777": 2,
        "Line not known": 1,
    }
    assert [row.label for row in raw["day"].rows] == ["09.11.2026", "10.11.2026", "11.11.2026"]
    assert [row.rated for row in raw["day"].rows] == [2, 4, 2]


def test_labels_follow_the_language_of_the_page(user_with: MakeUser) -> None:
    _rated_calls(user_with)
    rating_days_seal(now=local(AFTER + dt.timedelta(days=1), 3))
    with translation.override("kk"):
        kk = {row.label for row in quality.rating_table(THREE_DAYS, "service").rows}
    with translation.override("ru"):
        ru = {row.label for row in quality.rating_table(THREE_DAYS, "service").rows}
    assert {"Төлқұжат беру", "Зейнетақы тағайындау"} < kk
    assert {"Выдача паспорта", "Назначение пенсии"} < ru


def test_sealing_again_writes_nothing_and_later_adds_the_next_day(user_with: MakeUser) -> None:
    _rated_calls(user_with)
    rating_days_seal(now=local(AFTER, 3))
    assert rating_days_seal(now=local(AFTER, 3)) == 0
    assert rating_days_seal(now=local(AFTER, 23)) == 0  # the third day is not over yet
    assert rating_days_seal(now=local(AFTER + dt.timedelta(days=1), 2, 1)) > 0
    assert AFTER in set(RatingDay.objects.values_list("day", flat=True))
    total = quality.rating_table(THREE_DAYS, "line").total
    assert (total.rated, total.distribution) == (8, (1, 1, 1, 2, 3))


def test_a_rebuild_picks_up_a_rating_given_after_sealing(user_with: MakeUser) -> None:
    call = make_call(local(DAY, 22), wait=5.0)
    rating_days_seal(now=local(AFTER, 3))
    call.rating = 2
    call.save(update_fields=["rating"])
    assert quality.rating_table(THREE_DAYS, "day").total.rated == 0  # the sealed figure
    call_command("reports", "seal", "--rebuild-from", DAY.isoformat(), stdout=StringIO())
    table = quality.rating_table(THREE_DAYS, "day")
    assert (table.total.rated, table.total.average) == (1, 2.0)


def test_a_rebuild_from_a_later_day_leaves_no_gap_after_the_mark(user_with: MakeUser) -> None:
    make_call(local(DAY, 9), wait=5.0, rating=5)
    rating_days_seal(now=local(DAY, 3))  # seals nothing before the first call's day
    call_intervals_seal(now=local(DAY, 3))
    later = local(DAY + dt.timedelta(days=5), 0)
    rating_days_seal(now=local(DAY + dt.timedelta(days=9), 3), rebuild_from=later)
    call_intervals_seal(now=local(DAY + dt.timedelta(days=9), 3), rebuild_from=later)
    assert RatingDay.objects.filter(day=DAY).exists()
    assert CallInterval.objects.filter(start__lt=local_midnight(AFTER)).exists()


def test_a_service_removed_after_sealing_is_counted_as_none(user_with: MakeUser) -> None:
    service = _service("00303003", "Анықтама", "Справка")
    make_call(local(DAY, 9), wait=5.0, rating=5, service=service)
    make_call(local(DAY, 10), wait=5.0, rating=3)
    rating_days_seal(now=local(AFTER, 3))
    service.delete()
    rows = quality.rating_table(period_of_days(DAY, DAY), "service").rows
    assert [(row.label, row.rated, row.average) for row in rows] == [
        ("No public service named", 2, 4.0)
    ]


def test_the_command_seals_both_rollups(user_with: MakeUser) -> None:
    make_call(local(BEFORE, 9), wait=5.0, rating=4)
    out = StringIO()
    call_command("reports", "seal", stdout=out)
    assert "rating rows" in out.getvalue()
    assert RatingDay.objects.filter(day=BEFORE, dimension="line", key="1414").get().rated == 1
    assert CallInterval.objects.exists()


def test_queries_are_bounded_whatever_the_number_of_ratings(user_with: MakeUser) -> None:
    month = period_of_days(DAY - dt.timedelta(days=29), DAY)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            for dim in quality.RATING_DIMENSIONS:
                quality.rating_table(month, dim)
        return len(ctx.captured_queries)

    rating_days_seal(now=local(DAY, 12))
    before = count()
    _rated_calls(user_with)
    for n in range(30):
        make_call(local(DAY - dt.timedelta(days=n), 8), wait=1.0, rating=1 + n % 5)
    rating_days_seal(now=local(DAY, 12), rebuild_from=month.start)
    assert count() <= before + 2  # the operators' and the services' names
