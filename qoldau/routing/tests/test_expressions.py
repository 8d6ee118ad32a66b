from __future__ import annotations

import pytest

from qoldau.routing.expressions import RuleError, compile_rule

TASK = {"language": "kk", "service": "100101", "skills": ["eds", "egov"], "priority": 2}


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("", True),
        ('language == "kk"', True),
        ('language == "ru"', False),
        ('language != "ru"', True),
        ('service IN ["100101", "200"]', True),
        ("service in ['9']", False),
        ('skills HAS "eds"', True),
        ('skills has "tax"', False),
        ('language == "ru" OR service == "100101"', True),
        ('language == "kk" AND NOT service == "100101"', False),
        ('(language == "ru" OR language == "kk") AND priority >= 2', True),
        ("priority > 5", False),
        ("missing == ''", True),
        ("line", False),
    ],
)
def test_rules_evaluate_over_task_attributes(rule: str, expected: bool) -> None:
    assert compile_rule(rule)(TASK) is expected


@pytest.mark.parametrize(
    ("rule", "position"),
    [
        ('language == "kk" AND', 21),
        ('(language == "kk"', 18),
        ("language = 'kk'", 10),
        ("service IN [1, 2", 17),
        ("__import__('os')", 11),
    ],
)
def test_bad_rules_name_the_position(rule: str, position: int) -> None:
    with pytest.raises(RuleError) as caught:
        compile_rule(rule)
    assert caught.value.position + 1 == position


def test_overlong_rule_is_refused() -> None:
    with pytest.raises(RuleError):
        compile_rule('language == "kk" OR ' * 40)
