"""``policy_due`` and ``policy_lead``: every deadline of the Rules from one function (R32, R33)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from qoldau.core.errors import DomainError
from qoldau.policy.enums import RuleCode
from qoldau.policy.selectors import policy_due, policy_lead

pytestmark = pytest.mark.django_db

ALMATY = ZoneInfo("Asia/Almaty")


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=ALMATY)


def end_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=ALMATY)


@pytest.mark.parametrize(
    ("start", "due_day"),
    [
        # New Year holidays, 3 January moved to Sunday 5 January (a working day), then Monday.
        (local(2024, 12, 31, 10), dt.date(2025, 1, 6)),
        (local(2025, 1, 3, 15), dt.date(2025, 1, 6)),  # received on the moved day off
        (local(2025, 3, 20, 9), dt.date(2025, 3, 27)),  # Nowruz 21-25 March
        (local(2024, 5, 2, 18), dt.date(2024, 5, 4)),  # working Saturday
    ],
)
def test_email_reply_in_working_days(start: dt.datetime, due_day: dt.date) -> None:
    due = policy_due(RuleCode.EMAIL_REPLY, start)
    assert due.due == end_of(due_day)
    assert due.due.tzinfo is not None
    assert (due.code, due.value, due.unit) == ("email_reply", Decimal("2.000"), "working_days")
    assert due.citation == "Rules p.8 (2016)"
    assert due.start == start


def test_working_days_count_from_the_local_date() -> None:
    # 20:00 UTC on Sunday 5 January is 01:00 on Monday 6 January in Almaty: counting from
    # the 6th (7 January is Orthodox Christmas) gives the 9th; the UTC date would give the 8th.
    start = dt.datetime(2025, 1, 5, 20, tzinfo=dt.UTC)
    assert policy_due(RuleCode.EMAIL_REPLY, start).due == end_of(dt.date(2025, 1, 9))


def test_recording_within_four_hours_on_the_clock() -> None:
    start = local(2025, 1, 4, 22, 30)  # a Saturday night: the clock does not stop
    due = policy_due(RuleCode.RECORDING_DELIVERY, start)
    assert due.due == start + dt.timedelta(hours=4)
    assert due.due == local(2025, 1, 5, 2, 30)


@pytest.mark.parametrize(
    ("code", "start", "due"),
    [
        (RuleCode.MONTHLY_REPORT_DAY, local(2025, 1, 31, 15), end_of(dt.date(2025, 2, 5))),
        (RuleCode.MONTHLY_REPORT_DAY, local(2024, 12, 10, 9), end_of(dt.date(2025, 1, 5))),
        (RuleCode.ICT_REPORT_DAY, local(2025, 6, 1, 0, 1), end_of(dt.date(2025, 7, 5))),
        (RuleCode.REFUSAL_REPEAT_WINDOW, local(2025, 1, 31, 10), local(2025, 2, 28, 10)),
        # p.32: no later than the next working day (8 March on Saturday, moved to Monday 10th).
        (RuleCode.DISCREPANCY_EXPLANATION, local(2025, 3, 7, 16), end_of(dt.date(2025, 3, 11))),
        # p.21: ten working days; 6 June 2025 is Eid al-Adha.
        (RuleCode.HANDOVER_TRAINING, local(2025, 6, 2, 9), end_of(dt.date(2025, 6, 17))),
    ],
)
def test_other_units(code: str, start: dt.datetime, due: dt.datetime) -> None:
    assert policy_due(code, start).due == due


def test_p20_due_follows_the_setting(settings: Any) -> None:
    start = local(2025, 6, 2, 9)  # a Monday; 6 June is Eid al-Adha
    settings.QOLDAU_P20_TEXT = "kk"
    assert policy_due(RuleCode.HANDOVER_INFO, start).due == end_of(dt.date(2025, 6, 10))
    settings.QOLDAU_P20_TEXT = "ru"
    assert policy_due(RuleCode.HANDOVER_INFO, start).due == end_of(dt.date(2025, 6, 5))


def test_a_rule_is_picked_at_the_start_of_its_clock() -> None:
    old = policy_due(RuleCode.ANSWER_TIME_AVG, local(2015, 6, 1, 12))
    new = policy_due(RuleCode.ANSWER_TIME_AVG, local(2024, 6, 1, 12))
    assert old.due - old.start == dt.timedelta(seconds=40)
    assert new.due - new.start == dt.timedelta(seconds=30)
    assert old.rule_id != new.rule_id
    assert old.citation == "Rules 2013 p.7"


def test_outage_notice_lead_time() -> None:
    event = local(2025, 5, 10, 9)
    lead = policy_lead(RuleCode.OUTAGE_NOTICE_LEAD, event)
    assert lead.due == local(2025, 5, 9, 9)
    assert lead.start == event
    assert lead.citation == "Rules p.38 (2016)"


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda: policy_due("nope", local(2025, 1, 1)), "policy_unknown_code"),
        (lambda: policy_due(RuleCode.RATING_SCALE, local(2025, 1, 1)), "policy_not_a_deadline"),
        (lambda: policy_lead(RuleCode.EMAIL_REPLY, local(2025, 1, 1)), "policy_not_a_lead_time"),
        (lambda: policy_due(RuleCode.EMAIL_REPLY, dt.datetime(2025, 1, 1)), "policy_naive_time"),  # noqa: DTZ001
        (lambda: policy_due(RuleCode.EMAIL_REPLY, local(2027, 12, 30)), "workdays_year_not_loaded"),
    ],
)
def test_deadline_errors(call: Any, code: str) -> None:
    with pytest.raises(DomainError) as raised:
        call()
    assert raised.value.code == code


def test_policy_due_costs_three_queries(django_assert_max_num_queries: Any) -> None:
    with django_assert_max_num_queries(3):
        policy_due(RuleCode.EMAIL_REPLY, local(2025, 3, 20, 9))
    with django_assert_max_num_queries(1):
        policy_due(RuleCode.RECORDING_DELIVERY, local(2025, 3, 20, 9))


@pytest.mark.parametrize(
    "code", [RuleCode.EMAIL_REPLY, RuleCode.RECORDING_DELIVERY, RuleCode.REFUSAL_REPEAT_WINDOW]
)
def test_the_cached_due_is_the_due(code: str) -> None:
    from qoldau.policy.selectors import policy_due_cached

    starts = [local(2025, 3, 20, 9), local(2025, 3, 20, 17, 45), local(2025, 3, 21, 23, 59)]
    for start in starts * 2:  # the second round comes from the cache
        assert policy_due_cached(code, start) == policy_due(code, start)
