"""Reads of the Rules as data (R33): the one place other apps get every deadline and target.

- ``policy_due(code, start)``: when something whose clock starts at ``start`` is due;
- ``policy_lead(code, event_moment)``: the latest moment to act before an event (p.38);
- ``policy_value(code, at)``: a target or a scale (30 s, five points).
Each picks the rule in force on the local date of its moment, so old records keep the rule that
applied to them; store ``rule_id`` next to a deadline you keep.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from dataclasses import dataclass, replace
from decimal import Decimal

from django.conf import settings
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qoldau.core import clock
from qoldau.core.errors import DomainError, NotFound
from qoldau.policy.deadlines import due_after, latest_before
from qoldau.policy.enums import RulesEdition, TextVariant, Unit
from qoldau.policy.models import PolicyRule
from qoldau.workdays.errors import interpolate_lazy
from qoldau.workdays.selectors import add_working_days

_PARAGRAPH = re.compile(r"p\.\s*(\d+(?:\.\d+)*)")


@dataclass(frozen=True)
class RuleValue:
    rule_id: int
    code: str
    value: Decimal
    unit: str
    text_variant: str
    citation: str

    def as_int(self) -> int:
        return int(self.value)


@dataclass(frozen=True)
class Due:
    """A deadline: ``due`` is aware (local zone); ``rule_id`` is the rule version that made it."""

    due: dt.datetime
    start: dt.datetime
    rule_id: int
    code: str
    value: Decimal
    unit: str
    text_variant: str
    citation: str


def _paragraph_number(paragraph: str) -> str:
    """ "p.8" -> "8", "2013 p.7" -> "7"."""
    found = _PARAGRAPH.search(paragraph)
    return found.group(1) if found else paragraph


def rule_citation(rule: PolicyRule) -> str:
    """ "Rules p.8 (2016)", "Rules 2013 p.7", "Rules p.20 (2016, Kazakh text)" in the active
    language."""
    if rule.rules == RulesEdition.RULES_2013:
        return _("Rules 2013 p.%(paragraph)s") % {
            "paragraph": _paragraph_number(rule.paragraph_2013)
        }
    params = {"paragraph": _paragraph_number(rule.paragraph_2016), "edition": rule.rules}
    if rule.rules == RulesEdition.UCC:
        return _("Contact center's setting (closest: Rules p.%(paragraph)s)") % params
    if rule.text_variant == TextVariant.KK:
        return _("Rules p.%(paragraph)s (%(edition)s, Kazakh text)") % params
    if rule.text_variant == TextVariant.RU:
        return _("Rules p.%(paragraph)s (%(edition)s, Russian text)") % params
    return _("Rules p.%(paragraph)s (%(edition)s)") % params


def policy_citation(rule_id: int) -> str:
    """The citation of a stored rule version, rendered in the reader's language."""
    rule = PolicyRule.objects.filter(pk=rule_id).first()
    if rule is None:
        raise NotFound("policy_rule_not_found", gettext_lazy("No such rule."))
    return rule_citation(rule)


def active_text_variant(text_variant: str | None = None) -> str:
    variant = settings.QOLDAU_P20_TEXT if text_variant is None else text_variant
    if variant not in (TextVariant.KK, TextVariant.RU):
        raise DomainError(
            "policy_bad_text_variant",
            interpolate_lazy(
                gettext_lazy('The text variant must be "kk" or "ru", not %(variant)r.'),
                {"variant": variant},
            ),
        )
    return str(variant)


def _local_day(at: dt.datetime | dt.date | None) -> dt.date:
    if at is None:
        return clock.today()
    if isinstance(at, dt.datetime):
        return clock.local_date(_aware(at))
    return at


def _aware(moment: dt.datetime) -> dt.datetime:
    if timezone.is_naive(moment):
        raise DomainError(
            "policy_naive_time", gettext_lazy("Give the moment with its time zone (aware).")
        )
    return moment


def policy_rule_in_force(code: str, day: dt.date, *, text_variant: str | None = None) -> PolicyRule:
    """The rule ``code`` in force on ``day``: the row for the chosen text variant if there is one,
    else the row for all texts. One indexed query (two when there is none)."""
    variant = active_text_variant(text_variant)
    rows = list(
        PolicyRule.objects.filter(code=code, valid_from__lte=day, text_variant__in=[variant, ""])
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))
        .order_by("-valid_from")[:4]
    )
    for row in rows:
        if row.text_variant == variant:
            return row
    if rows:
        return rows[0]
    if not PolicyRule.objects.filter(code=code).exists():
        raise NotFound(
            "policy_unknown_code",
            interpolate_lazy(gettext_lazy("There is no rule %(code)r."), {"code": code}),
        )
    raise NotFound(
        "policy_not_in_force",
        interpolate_lazy(
            gettext_lazy("No version of the rule %(code)r is in force on %(date)s."),
            {"code": code, "date": day.isoformat()},
        ),
    )


def _value(rule: PolicyRule) -> RuleValue:
    return RuleValue(
        rule_id=rule.pk,
        code=rule.code,
        value=rule.value,
        unit=rule.unit,
        text_variant=rule.text_variant,
        citation=rule_citation(rule),
    )


def policy_value(
    code: str, at: dt.datetime | dt.date | None = None, *, text_variant: str | None = None
) -> RuleValue:
    """A target or a scale in force at ``at`` (default: today), e.g. 30 seconds, 5 points."""
    return _value(policy_rule_in_force(code, _local_day(at), text_variant=text_variant))


def policy_due(code: str, start: dt.datetime, *, text_variant: str | None = None) -> Due:
    """When something is due whose clock starts at ``start`` (aware), by the rule in force then.

    Working days end at 23:59:59 local of the N-th working day after start's local date;
    hours, seconds and calendar days run on the clock; a day of the month is that day of the
    month after start's month, end of day local (docs/workdays-and-policy.md)."""
    start = _aware(start)
    rule = policy_rule_in_force(code, clock.local_date(start), text_variant=text_variant)
    due = due_after(
        unit=rule.unit, value=rule.value, start=start, add_working_days=add_working_days
    )
    return _due(rule, start=start, due=due)


# Hot paths (the API intake) ask for the same deadline thousands of times a day: the rule in force
# and, for units counted on local dates, the due moment itself depend only on (code, text variant,
# local date), so they are kept per process for POLICY_DUE_CACHE_SECONDS (default 30; 0 = off).
# An edited rule or calendar day reaches a busy process within that time; ``policy_cache_clear``
# empties the cache of the current process.
_DATE_UNITS = frozenset({Unit.WORKING_DAYS, Unit.DAY_OF_MONTH})
_due_cache: dict[tuple[str, str, dt.date, str], tuple[float, Due]] = {}
_due_cache_lock = threading.Lock()


def policy_cache_clear() -> None:
    with _due_cache_lock:
        _due_cache.clear()


def policy_due_cached(code: str, start: dt.datetime, *, text_variant: str | None = None) -> Due:
    """``policy_due`` with the per-process cache above; the same answer while it is fresh."""
    ttl = float(getattr(settings, "POLICY_DUE_CACHE_SECONDS", 30))
    if ttl <= 0:
        return policy_due(code, start, text_variant=text_variant)
    start = _aware(start)
    variant = active_text_variant(text_variant)
    key = (code, variant, clock.local_date(start), translation.get_language() or "")
    cached = _due_cache.get(key)
    if cached is None or time.monotonic() >= cached[0]:
        due = policy_due(code, start, text_variant=variant)
        with _due_cache_lock:
            if len(_due_cache) > 512:
                _due_cache.clear()
            _due_cache[key] = (time.monotonic() + ttl, due)
        return due
    due = cached[1]
    if due.unit in _DATE_UNITS:
        return replace(due, start=start)
    moment = due_after(
        unit=due.unit, value=due.value, start=start, add_working_days=add_working_days
    )
    return replace(due, start=start, due=moment)


def policy_lead(code: str, event_moment: dt.datetime, *, text_variant: str | None = None) -> Due:
    """The latest moment to act before ``event_moment`` for a lead time ("at least one day
    before", p.38): ``due`` is that moment and ``start`` the event."""
    event_moment = _aware(event_moment)
    rule = policy_rule_in_force(code, clock.local_date(event_moment), text_variant=text_variant)
    due = latest_before(unit=rule.unit, value=rule.value, event=event_moment)
    return _due(rule, start=event_moment, due=due)


def _due(rule: PolicyRule, *, start: dt.datetime, due: dt.datetime) -> Due:
    value = _value(rule)
    return Due(
        due=due,
        start=start,
        rule_id=value.rule_id,
        code=value.code,
        value=value.value,
        unit=value.unit,
        text_variant=value.text_variant,
        citation=value.citation,
    )


def policy_rule_list(
    *, at: dt.date | None = None, include_history: bool = False
) -> list[PolicyRule]:
    """Every rule in force on ``at`` (default: today), or every version with ``include_history``."""
    rows = PolicyRule.objects.order_by("code", "text_variant", "valid_from")
    if not include_history:
        day = at or clock.today()
        rows = rows.filter(valid_from__lte=day).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=day)
        )
    return list(rows)


def policy_overlapping(
    *,
    code: str,
    text_variant: str,
    valid_from: dt.date,
    valid_to: dt.date | None,
    exclude_id: int | None = None,
) -> list[PolicyRule]:
    """Versions of the same code and text variant whose validity overlaps the given one."""
    rows = PolicyRule.objects.filter(code=code, text_variant=text_variant).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=valid_from)
    )
    if valid_to is not None:
        rows = rows.filter(valid_from__lte=valid_to)
    if exclude_id is not None:
        rows = rows.exclude(pk=exclude_id)
    return list(rows.order_by("valid_from"))
