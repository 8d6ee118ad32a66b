"""Writes of the Rules as data (R33), audited. A change of the Rules is a new row
(``policy_rule_add`` closes the open row it replaces); ``policy_rule_change`` only edits what
does not change a number: texts, paragraphs and the end of validity. Rows are never deleted."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from qoldau.accounts.models import User
from qoldau.audit.services import audit_record
from qoldau.core.errors import FieldError, NotFound
from qoldau.policy.enums import WHOLE_UNITS, RulesEdition, TextVariant, Unit
from qoldau.policy.models import PolicyRule
from qoldau.policy.selectors import policy_overlapping

_CODE_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_")


def _closable(row: PolicyRule, valid_from: dt.date) -> bool:
    """An open-ended older version that a new version starting at ``valid_from`` closes."""
    return row.valid_to is None and row.valid_from < valid_from


def policy_rule_validate(
    *,
    code: str,
    value: Decimal,
    unit: str,
    text_variant: str,
    valid_from: dt.date,
    valid_to: dt.date | None,
    title_kk: str,
    note_kk: str,
    exclude_id: int | None = None,
) -> None:
    """The checks a rule version must pass (also run by the admin form before saving)."""
    if not code or not code[0].isalpha() or not set(code) <= _CODE_CHARS:
        raise FieldError(
            "code", "policy_bad_code", _("Use lower-case letters, digits and underscores.")
        )
    if unit not in Unit.values:
        raise FieldError("unit", "policy_bad_unit", _("Unknown unit."))
    if text_variant not in TextVariant.values:
        raise FieldError("text_variant", "policy_bad_text_variant", _("Unknown text variant."))
    if value < 0 or (unit in WHOLE_UNITS and value != value.to_integral_value()):
        raise FieldError(
            "value",
            "policy_bad_value",
            _("The value must be at least 0, and a whole number for this unit."),
        )
    if unit == Unit.DAY_OF_MONTH and not 1 <= value <= 31:
        raise FieldError("value", "policy_bad_value", _("A day of the month is from 1 to 31."))
    if valid_to is not None and valid_to < valid_from:
        raise FieldError(
            "valid_to", "policy_bad_dates", _("'Valid to' must not be before 'valid from'.")
        )
    if not title_kk.strip():
        raise FieldError("title_kk", "policy_kazakh_required", _("The Kazakh title is required."))
    if not note_kk.strip():
        raise FieldError("note_kk", "policy_kazakh_required", _("The Kazakh note is required."))
    overlapping = policy_overlapping(
        code=code,
        text_variant=text_variant,
        valid_from=valid_from,
        valid_to=valid_to,
        exclude_id=exclude_id,
    )
    adding = exclude_id is None
    if any(not (adding and _closable(row, valid_from)) for row in overlapping):
        raise FieldError(
            "valid_from",
            "policy_overlap",
            _("Another version of this rule for the same text is in force in these dates."),
        )


def _values(rule: PolicyRule) -> dict[str, Any]:
    return {
        "code": rule.code,
        "value": str(rule.value),
        "unit": rule.unit,
        "rules": rule.rules,
        "paragraph_2016": rule.paragraph_2016,
        "paragraph_2013": rule.paragraph_2013,
        "text_variant": rule.text_variant,
        "valid_from": rule.valid_from,
        "valid_to": rule.valid_to,
    }


def policy_rule_add(
    *,
    actor: User | None,
    code: str,
    value: Decimal,
    unit: str,
    valid_from: dt.date,
    title_kk: str,
    note_kk: str,
    rules: str = RulesEdition.RULES_2016,
    paragraph_2016: str = "",
    paragraph_2013: str = "",
    text_variant: str = "",
    valid_to: dt.date | None = None,
    title_ru: str = "",
    title_en: str = "",
    note_ru: str = "",
    note_en: str = "",
) -> PolicyRule:
    """Add a version of a rule. An open-ended older version of the same code and text variant
    is closed the day before ``valid_from``, in the same transaction."""
    with transaction.atomic():
        policy_rule_validate(
            code=code,
            value=value,
            unit=unit,
            text_variant=text_variant,
            valid_from=valid_from,
            valid_to=valid_to,
            title_kk=title_kk,
            note_kk=note_kk,
        )
        closed: list[int] = []
        for row in policy_overlapping(
            code=code, text_variant=text_variant, valid_from=valid_from, valid_to=valid_to
        ):
            row.valid_to = valid_from - dt.timedelta(days=1)
            row.save(update_fields=["valid_to", "updated_at"])
            closed.append(row.pk)
        rule = PolicyRule.objects.create(
            code=code,
            value=value,
            unit=unit,
            rules=rules,
            paragraph_2016=paragraph_2016.strip(),
            paragraph_2013=paragraph_2013.strip(),
            text_variant=text_variant,
            valid_from=valid_from,
            valid_to=valid_to,
            title_kk=title_kk.strip(),
            title_ru=title_ru.strip(),
            title_en=title_en.strip(),
            note_kk=note_kk.strip(),
            note_ru=note_ru.strip(),
            note_en=note_en.strip(),
        )
        audit_record(
            actor=actor,
            action="policy.rule_added",
            target=rule,
            changes={**_values(rule), "closed_rule_ids": closed},
        )
    return rule


_EDITABLE = (
    "paragraph_2016",
    "paragraph_2013",
    "valid_to",
    "title_kk",
    "title_ru",
    "title_en",
    "note_kk",
    "note_ru",
    "note_en",
)


def policy_rule_change(
    *,
    actor: User | None,
    rule_id: int,
    valid_to: dt.date | None,
    title_kk: str,
    note_kk: str,
    paragraph_2016: str = "",
    paragraph_2013: str = "",
    title_ru: str = "",
    title_en: str = "",
    note_ru: str = "",
    note_en: str = "",
) -> PolicyRule:
    """Edit the texts, paragraphs or end of validity of a version. Its number, unit, text
    variant and start stay: to change those, add a new version (``policy_rule_add``)."""
    with transaction.atomic():
        rule = PolicyRule.objects.select_for_update().filter(pk=rule_id).first()
        if rule is None:
            raise NotFound("policy_rule_not_found", _("No such rule."))
        policy_rule_validate(
            code=rule.code,
            value=rule.value,
            unit=rule.unit,
            text_variant=rule.text_variant,
            valid_from=rule.valid_from,
            valid_to=valid_to,
            title_kk=title_kk,
            note_kk=note_kk,
            exclude_id=rule.pk,
        )
        new = {
            "paragraph_2016": paragraph_2016.strip(),
            "paragraph_2013": paragraph_2013.strip(),
            "valid_to": valid_to,
            "title_kk": title_kk.strip(),
            "title_ru": title_ru.strip(),
            "title_en": title_en.strip(),
            "note_kk": note_kk.strip(),
            "note_ru": note_ru.strip(),
            "note_en": note_en.strip(),
        }
        changes = {
            name: [getattr(rule, name), value]
            for name, value in new.items()
            if getattr(rule, name) != value
        }
        for name, value in new.items():
            setattr(rule, name, value)
        rule.save(update_fields=[*_EDITABLE, "updated_at"])
        audit_record(actor=actor, action="policy.rule_changed", target=rule, changes=changes)
    return rule
