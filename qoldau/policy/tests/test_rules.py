"""The Rules as data: every seeded number resolves, with its paragraph and history (R33)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import translation

from qoldau.core.errors import DomainError
from qoldau.policy.enums import RuleCode, Unit
from qoldau.policy.models import PolicyRule
from qoldau.policy.selectors import (
    policy_citation,
    policy_rule_in_force,
    policy_rule_list,
    policy_value,
)

pytestmark = pytest.mark.django_db

EXPECTED = {
    RuleCode.ANSWER_TIME_AVG: (30, Unit.SECONDS, "p.7", "2013 p.7"),
    RuleCode.EMAIL_REPLY: (2, Unit.WORKING_DAYS, "p.8", ""),
    RuleCode.RATING_SCALE: (5, Unit.SCALE, "p.13", "2013 p.17"),
    RuleCode.RECORDING_DELIVERY: (4, Unit.HOURS, "p.14", "2013 p.18"),
    RuleCode.HANDOVER_INFO: (5, Unit.WORKING_DAYS, "p.20", ""),
    RuleCode.HANDOVER_TRAINING: (10, Unit.WORKING_DAYS, "p.21", ""),
    RuleCode.CONSULTATION_START: (5, Unit.WORKING_DAYS, "p.23", ""),
    RuleCode.BYLAW_CHANGE_UPDATE: (5, Unit.WORKING_DAYS, "p.26", ""),
    RuleCode.RESPONSIBLE_REPLACEMENT: (5, Unit.WORKING_DAYS, "p.27", ""),
    RuleCode.REFUSAL_REPORT: (3, Unit.WORKING_DAYS, "p.28", ""),
    RuleCode.REFUSAL_REPEAT_WINDOW: (1, Unit.MONTHS, "p.28", ""),
    RuleCode.MONTHLY_REPORT_DAY: (5, Unit.DAY_OF_MONTH, "p.31", ""),
    RuleCode.DISCREPANCY_EXPLANATION: (1, Unit.WORKING_DAYS, "p.32", ""),
    RuleCode.OUTAGE_NOTICE_LEAD: (1, Unit.CALENDAR_DAYS, "p.38", ""),
    RuleCode.ICT_REPORT_DAY: (5, Unit.DAY_OF_MONTH, "p.39", ""),
    RuleCode.RECORDING_RETENTION: (12, Unit.MONTHS, "p.14", "2013 p.21"),
}


def test_expected_table_covers_every_code() -> None:
    assert set(EXPECTED) == set(RuleCode)
    assert set(PolicyRule.objects.values_list("code", flat=True)) == {c.value for c in RuleCode}


@pytest.mark.parametrize("code", list(RuleCode))
def test_every_code_resolves_with_its_paragraph(code: RuleCode) -> None:
    value, unit, p2016, p2013 = EXPECTED[code]
    rule = policy_rule_in_force(code, dt.date(2026, 1, 15), text_variant="kk")
    assert (int(rule.value), rule.unit, rule.paragraph_2016, rule.paragraph_2013) == (
        value,
        unit,
        p2016,
        p2013,
    )
    found = policy_value(code, dt.date(2026, 1, 15), text_variant="kk")
    assert found.rule_id == rule.pk
    number = p2016.removeprefix("p.")
    variant = ", Kazakh text" if code == RuleCode.HANDOVER_INFO else ""
    if code == RuleCode.RECORDING_RETENTION:
        # The Rules set no retention period: the contact center's own setting (ADR 0006).
        assert found.citation == f"Contact center's setting (closest: Rules p.{number})"
        return
    assert found.citation == f"Rules p.{number} (2016{variant})"


def test_every_row_has_kazakh_texts_citing_its_paragraph() -> None:
    for rule in PolicyRule.objects.all():
        assert rule.title_kk
        assert rule.title_ru
        assert rule.title_en
        paragraph = rule.paragraph_2013 if rule.rules == "2013" else rule.paragraph_2016
        number = paragraph.split("p.")[1]
        assert f"{number}-тармағ" in rule.note_kk, rule
        assert f"п. {number}" in rule.note_ru, rule
        assert f"p.{number}" in rule.note_en, rule


@pytest.mark.parametrize(
    ("day", "seconds", "citation"),
    [
        (dt.date(2015, 6, 1), 40, "Rules 2013 p.7"),
        (dt.date(2016, 2, 29), 40, "Rules 2013 p.7"),
        (dt.date(2016, 3, 1), 30, "Rules p.7 (2016)"),
        (dt.date(2024, 6, 1), 30, "Rules p.7 (2016)"),
    ],
)
def test_answer_time_history(day: dt.date, seconds: int, citation: str) -> None:
    found = policy_value(RuleCode.ANSWER_TIME_AVG, day)
    assert (found.as_int(), found.unit, found.citation) == (seconds, Unit.SECONDS, citation)


def test_a_moment_is_looked_up_on_its_local_date() -> None:
    # 2016-02-29 20:00 UTC is already 1 March in Almaty: the 2016 Rules apply.
    moment = dt.datetime(2016, 2, 29, 20, tzinfo=dt.UTC)
    assert policy_value(RuleCode.ANSWER_TIME_AVG, moment).as_int() == 30


def test_the_p20_setting_switches_between_the_texts(settings: Any) -> None:
    day = dt.date(2025, 1, 10)
    settings.QOLDAU_P20_TEXT = "kk"
    kk = policy_value(RuleCode.HANDOVER_INFO, day)
    assert (kk.as_int(), kk.text_variant) == (5, "kk")
    assert kk.citation == "Rules p.20 (2016, Kazakh text)"
    settings.QOLDAU_P20_TEXT = "ru"
    ru = policy_value(RuleCode.HANDOVER_INFO, day)
    assert (ru.as_int(), ru.text_variant) == (3, "ru")
    assert policy_value(RuleCode.HANDOVER_INFO, day, text_variant="kk").as_int() == 5
    # Before the Kazakh restatement of 2023 both texts give three days.
    assert (
        policy_value(RuleCode.HANDOVER_INFO, dt.date(2020, 1, 10), text_variant="kk").as_int() == 3
    )
    # Rules without a text variant are the same whichever text is chosen.
    assert (
        policy_value(RuleCode.EMAIL_REPLY, day).rule_id
        == policy_value(RuleCode.EMAIL_REPLY, day, text_variant="kk").rule_id
    )


def test_errors_are_clear(settings: Any) -> None:
    with pytest.raises(DomainError) as raised:
        policy_value("no_such_rule")
    assert raised.value.code == "policy_unknown_code"
    assert "no_such_rule" in str(raised.value.message)
    with pytest.raises(DomainError) as raised:
        policy_value(RuleCode.EMAIL_REPLY, dt.date(2015, 1, 1))
    assert raised.value.code == "policy_not_in_force"
    settings.QOLDAU_P20_TEXT = "en"
    with pytest.raises(DomainError) as raised:
        policy_value(RuleCode.HANDOVER_INFO)
    assert raised.value.code == "policy_bad_text_variant"


def test_citations_in_kazakh_and_russian() -> None:
    rule = policy_rule_in_force(RuleCode.EMAIL_REPLY, dt.date(2025, 1, 1))
    with translation.override("kk"):
        assert policy_citation(rule.pk) == "Қағидалардың 8-тармағы (2016)"
    with translation.override("ru"):
        assert policy_citation(rule.pk) == "п. 8 Правил (2016)"


def test_rule_list_today_and_history() -> None:
    today = policy_rule_list(at=dt.date(2026, 1, 1))
    assert len(today) == 17  # 16 codes, p.20 twice (kk and ru)
    everything = policy_rule_list(include_history=True)
    assert len(everything) == PolicyRule.objects.count() == 21
