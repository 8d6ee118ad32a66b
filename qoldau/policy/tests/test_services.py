"""A change of the Rules is a change of data: new versions, old records keep theirs (R33)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from qoldau.accounts.models import User
from qoldau.audit.models import AuditEvent
from qoldau.core.errors import DomainError
from qoldau.policy.enums import RuleCode, Unit
from qoldau.policy.models import PolicyRule
from qoldau.policy.selectors import policy_due, policy_value
from qoldau.policy.services import policy_rule_add, policy_rule_change

pytestmark = pytest.mark.django_db

ALMATY = dt.timezone(dt.timedelta(hours=5))


@pytest.fixture
def editor() -> User:
    return User.objects.create_user(username="rules-editor", password="x" * 16)


def _add_email_rule(editor: User, **overrides: Any) -> PolicyRule:
    values: dict[str, Any] = {
        "actor": editor,
        "code": RuleCode.EMAIL_REPLY,
        "value": Decimal(3),
        "unit": Unit.WORKING_DAYS,
        "valid_from": dt.date(2027, 1, 1),
        "paragraph_2016": "p.8",
        "title_kk": "Электрондық пошта арқылы келген өтінішке жауап беру",
        "note_kk": "Болжамды өзгеріс: үш жұмыс күні (Қағидалардың 8-тармағы).",
    }
    values.update(overrides)
    return policy_rule_add(**values)


def test_a_new_version_closes_the_old_one_and_old_records_keep_theirs(editor: User) -> None:
    old = policy_value(RuleCode.EMAIL_REPLY, dt.date(2026, 6, 1))
    new = _add_email_rule(editor)
    assert PolicyRule.objects.get(pk=old.rule_id).valid_to == dt.date(2026, 12, 31)
    assert policy_value(RuleCode.EMAIL_REPLY, dt.date(2026, 12, 31)).as_int() == 2
    assert policy_value(RuleCode.EMAIL_REPLY, dt.date(2027, 1, 1)).rule_id == new.pk
    due = policy_due(RuleCode.EMAIL_REPLY, dt.datetime(2027, 3, 1, 10, tzinfo=ALMATY))
    assert (due.value, due.rule_id) == (Decimal(3), new.pk)
    event = AuditEvent.objects.get(action="policy.rule_added")
    assert event.changes["closed_rule_ids"] == [old.rule_id]
    assert event.actor_user_id == editor.pk


def test_an_overlapping_version_is_refused_and_nothing_changes(editor: User) -> None:
    _add_email_rule(editor)
    before = list(PolicyRule.objects.order_by("pk").values())
    with pytest.raises(DomainError) as raised:
        _add_email_rule(editor, valid_from=dt.date(2026, 6, 1))
    assert raised.value.code == "policy_overlap"
    assert list(PolicyRule.objects.order_by("pk").values()) == before


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title_kk": " "}, "title_kk"),
        ({"note_kk": ""}, "note_kk"),
        ({"value": Decimal("2.5")}, "value"),
        ({"unit": "fortnights"}, "unit"),
        ({"code": "Bad Code"}, "code"),
        ({"valid_to": dt.date(2026, 1, 1)}, "valid_to"),
    ],
)
def test_bad_versions_are_refused(editor: User, overrides: dict[str, Any], field: str) -> None:
    count = PolicyRule.objects.count()
    with pytest.raises(DomainError) as raised:
        _add_email_rule(editor, **overrides)
    assert raised.value.field == field
    assert PolicyRule.objects.count() == count


def test_change_edits_texts_and_end_but_never_the_number(editor: User) -> None:
    rule = PolicyRule.objects.get(code=RuleCode.ICT_REPORT_DAY)
    policy_rule_change(
        actor=editor,
        rule_id=rule.pk,
        valid_to=None,
        paragraph_2016="p.39",
        title_kk=rule.title_kk,
        title_ru=rule.title_ru,
        title_en="Monthly ICT report",
        note_kk=rule.note_kk,
        note_ru=rule.note_ru,
        note_en=rule.note_en,
    )
    rule.refresh_from_db()
    assert rule.title_en == "Monthly ICT report"
    assert rule.value == Decimal(5)
    event = AuditEvent.objects.get(action="policy.rule_changed")
    assert list(event.changes) == ["title_en"]


def test_admin_adds_a_version_and_shows_fixed_fields_read_only() -> None:
    user = User.objects.create_superuser(username="root", password="x" * 16, email="r@example.kz")
    client = Client()
    client.force_login(user)
    rule = PolicyRule.objects.get(code=RuleCode.ICT_REPORT_DAY)
    page = client.get(reverse("admin:policy_policyrule_change", args=[rule.pk]))
    assert page.status_code == 200
    assert b'name="value"' not in page.content  # a number is changed by a new version only
    response = client.post(
        reverse("admin:policy_policyrule_add"),
        {
            "code": "ict_report_day",
            "value": "7",
            "unit": "day_of_month",
            "rules": "2016",
            "text_variant": "",
            "valid_from": "2027-01-01",
            "valid_to": "",
            "paragraph_2016": "p.39",
            "paragraph_2013": "",
            "title_kk": "Ақпараттық-коммуникациялық қызметтер бойынша ай сайынғы есеп",
            "title_ru": "",
            "title_en": "",
            "note_kk": "Сынақ нұсқасы (Қағидалардың 39-тармағы).",
            "note_ru": "",
            "note_en": "",
        },
    )
    assert response.status_code == 302, response.content
    rule.refresh_from_db()
    assert rule.valid_to == dt.date(2026, 12, 31)
    assert policy_value(RuleCode.ICT_REPORT_DAY, dt.date(2027, 2, 1)).as_int() == 7
    assert AuditEvent.objects.filter(action="policy.rule_added").count() == 1
    overlap = client.post(
        reverse("admin:policy_policyrule_add"),
        {
            "code": "ict_report_day",
            "value": "6",
            "unit": "day_of_month",
            "rules": "2016",
            "valid_from": "2026-06-01",
            "title_kk": "Қайталау",
            "note_kk": "Қайталау (Қағидалардың 39-тармағы).",
        },
    )
    assert overlap.status_code == 200  # shown as a form error, nothing saved
    assert PolicyRule.objects.filter(code="ict_report_day").count() == 2
