"""``qoldau policy show`` lists every code with its paragraph (R33)."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from qoldau.policy.checks import check_p20_text
from qoldau.policy.enums import RuleCode
from qoldau.policy.models import PolicyRule

pytestmark = pytest.mark.django_db


def show(*args: str) -> str:
    out = StringIO()
    call_command("policy", "show", *args, stdout=out)
    return out.getvalue()


def test_show_lists_every_code_with_its_paragraph() -> None:
    lines = show("--lang", "en", "--at", "2026-01-01").splitlines()
    assert lines[0].split()[:3] == ["code", "value", "unit"]
    for rule in PolicyRule.objects.filter(valid_to__isnull=True):
        matching = [line for line in lines if line.split()[0] == rule.code]
        assert matching, rule.code
        assert any(rule.paragraph_2016 in line.split() for line in matching)
    assert {line.split()[0] for line in lines[1:-1]} == {code.value for code in RuleCode}
    answer = next(line for line in lines if line.startswith("answer_time_avg"))
    assert answer.split()[:6] == ["answer_time_avg", "30", "seconds", "p.7", "2013", "p.7"]
    assert "QOLDAU_P20_TEXT" in lines[-1]


def test_show_all_includes_history() -> None:
    out = show("--all", "--lang", "en")
    assert "2013-11-06" in out
    assert "2016-02-29" in out
    assert len(out.splitlines()) == PolicyRule.objects.count() + 2


def test_show_in_kazakh() -> None:
    out = show("--lang", "kk")
    assert "Желідегі жауапты күтудің орташа уақыты" in out
    assert "жұмыс күні" in out


def test_bad_date_is_an_error() -> None:
    with pytest.raises(CommandError, match="Not a date"):
        show("--at", "yesterday")


def test_p20_setting_check(settings: Any) -> None:
    assert check_p20_text() == []
    settings.QOLDAU_P20_TEXT = "en"
    [error] = check_p20_text()
    assert error.id == "policy.E001"
