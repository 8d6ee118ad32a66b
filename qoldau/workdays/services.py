"""Writes of the working-day calendar (R32): loading years and managing overrides, audited.

Each service is one transaction (not ``durable``: the admin already wraps its saves in one).
Writers first lock the last loaded day, so concurrent loads and overrides queue up.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from qoldau.accounts.models import User
from qoldau.audit.services import audit_record
from qoldau.core.errors import FieldError, NotFound
from qoldau.workdays.errors import interpolate_lazy
from qoldau.workdays.holiday_source import (
    FIRST_SUPPORTED_YEAR,
    LAST_SUPPORTED_YEAR,
    plan_year,
)
from qoldau.workdays.loading import write_years
from qoldau.workdays.models import CalendarDay, CalendarOverride
from qoldau.workdays.selectors import loaded_years


def _lock_calendar() -> None:
    """Serialise writers: every writer locks the same (last) row before reading the range."""
    list(CalendarDay.objects.select_for_update().order_by("-date").values_list("date")[:1])


def _check_year(year: int, field: str = "year") -> None:
    if not FIRST_SUPPORTED_YEAR <= year <= LAST_SUPPORTED_YEAR:
        raise FieldError(
            field,
            "workdays_bad_year",
            interpolate_lazy(
                _("The year must be between %(first)s and %(last)s."),
                {"first": FIRST_SUPPORTED_YEAR, "last": LAST_SUPPORTED_YEAR},
            ),
        )


def _chunks(years: list[int]) -> list[list[int]]:
    """Split sorted years into runs of consecutive years."""
    runs: list[list[int]] = []
    for year in years:
        if runs and runs[-1][-1] == year - 1:
            runs[-1].append(year)
        else:
            runs.append([year])
    return runs


def _write(years: list[int]) -> None:
    for run in _chunks(sorted(years)):
        write_years(run, day_model=CalendarDay, override_model=CalendarOverride)


def workdays_load_years(*, years: Iterable[int], actor: User | None = None) -> list[int]:
    """(Re)load ``years`` from the package, keeping overrides, and return every year written:
    years between the loaded range and the requested ones are loaded too, so it has no gaps."""
    wanted = sorted(set(years))
    for year in wanted:
        _check_year(year)
    if not wanted:
        return []
    with transaction.atomic():
        _lock_calendar()
        loaded = loaded_years()
        if loaded:
            span = range(min(wanted[0], loaded[0]), max(wanted[-1], loaded[-1]) + 1)
            written = [y for y in span if y in wanted or y not in loaded]
        else:
            written = list(range(wanted[0], wanted[-1] + 1))
        _write(written)
        audit_record(
            actor=actor, action="workdays.years_loaded", target=None, changes={"years": written}
        )
    return written


def workdays_load_year(*, year: int, actor: User | None = None) -> list[int]:
    return workdays_load_years(years=[year], actor=actor)


def workdays_ensure_loaded(*, through_year: int, actor: User | None = None) -> list[int]:
    """Load the years from ``settings.WORKDAYS_FIRST_YEAR`` through ``through_year`` that are
    missing, and return them (an empty list when nothing was missing). Loaded years are kept as
    they are. The daily periodic task calls this with next year."""
    _check_year(through_year, "through_year")
    first_year = min(settings.WORKDAYS_FIRST_YEAR, through_year)
    with transaction.atomic():
        _lock_calendar()
        loaded = set(loaded_years())
        missing = [y for y in range(first_year, through_year + 1) if y not in loaded]
        if missing:
            _write(missing)
            audit_record(
                actor=actor,
                action="workdays.years_loaded",
                target=None,
                changes={"years": missing},
            )
    return missing


def _rederive(day: dt.date) -> None:
    """Recompute one loaded date from the package and its override, and shift the index of
    every later date by the change (one UPDATE). A date not loaded yet is left alone: the
    override applies when its year is loaded."""
    row = CalendarDay.objects.select_for_update().filter(date=day).first()
    if row is None:
        return
    override = (
        CalendarOverride.objects.filter(date=day).values_list("is_working", flat=True).first()
    )
    overrides = {} if override is None else {day: override}
    planned = next(p for p in plan_year(day.year, overrides) if p.date == day)
    delta = int(planned.is_working) - int(row.is_working)
    row.is_working = planned.is_working
    row.kind = planned.kind
    row.name_kk, row.name_ru, row.name_en = planned.name_kk, planned.name_ru, planned.name_en
    row.source = planned.source
    row.work_index += delta
    row.save(
        update_fields=[
            "is_working",
            "kind",
            "name_kk",
            "name_ru",
            "name_en",
            "source",
            "work_index",
        ]
    )
    if delta:
        CalendarDay.objects.filter(date__gt=day).update(work_index=F("work_index") + delta)


_OVERRIDE_FIELDS = (
    "date",
    "is_working",
    "reason_kk",
    "reason_ru",
    "reason_en",
    "decree_title",
    "decree_number",
    "decree_date",
)


def _override_values(override: CalendarOverride) -> dict[str, Any]:
    return {name: getattr(override, name) for name in _OVERRIDE_FIELDS}


def workdays_override_validate(
    *, day: dt.date, reason_kk: str, exclude_id: int | None = None
) -> None:
    """The checks an override must pass (also run by the admin form before saving)."""
    _check_year(day.year, "date")
    if not reason_kk.strip():
        raise FieldError(
            "reason_kk",
            "workdays_reason_required",
            _("Give the reason in Kazakh: it is the state language."),
        )
    clash = CalendarOverride.objects.filter(date=day)
    if exclude_id is not None:
        clash = clash.exclude(pk=exclude_id)
    if clash.exists():
        raise FieldError(
            "date", "workdays_override_exists", _("This date already has an override.")
        )


def workdays_override_add(
    *,
    actor: User | None,
    day: dt.date,
    is_working: bool,
    reason_kk: str,
    reason_ru: str = "",
    reason_en: str = "",
    decree_title: str = "",
    decree_number: str = "",
    decree_date: dt.date | None = None,
) -> CalendarOverride:
    """Declare ``day`` a working day or a day off, whatever the package says; the date and the
    index after it are re-derived in the same transaction."""
    with transaction.atomic():
        _lock_calendar()
        workdays_override_validate(day=day, reason_kk=reason_kk)
        override = CalendarOverride.objects.create(
            date=day,
            is_working=is_working,
            reason_kk=reason_kk.strip(),
            reason_ru=reason_ru.strip(),
            reason_en=reason_en.strip(),
            decree_title=decree_title.strip(),
            decree_number=decree_number.strip(),
            decree_date=decree_date,
            created_by=actor,
        )
        _rederive(day)
        audit_record(
            actor=actor,
            action="workdays.override_added",
            target=override,
            changes=_override_values(override),
        )
    return override


def workdays_override_change(
    *,
    actor: User | None,
    override_id: int,
    day: dt.date,
    is_working: bool,
    reason_kk: str,
    reason_ru: str = "",
    reason_en: str = "",
    decree_title: str = "",
    decree_number: str = "",
    decree_date: dt.date | None = None,
) -> CalendarOverride:
    """Replace an override's fields; the old and the new date are both re-derived."""
    with transaction.atomic():
        _lock_calendar()
        override = CalendarOverride.objects.select_for_update().filter(pk=override_id).first()
        if override is None:
            raise NotFound("workdays_override_not_found", _("No such calendar override."))
        workdays_override_validate(day=day, reason_kk=reason_kk, exclude_id=override.pk)
        before = _override_values(override)
        old_day = override.date
        override.date = day
        override.is_working = is_working
        override.reason_kk = reason_kk.strip()
        override.reason_ru = reason_ru.strip()
        override.reason_en = reason_en.strip()
        override.decree_title = decree_title.strip()
        override.decree_number = decree_number.strip()
        override.decree_date = decree_date
        override.save(update_fields=[*_OVERRIDE_FIELDS, "updated_at"])
        for affected in sorted({old_day, day}):
            _rederive(affected)
        after = _override_values(override)
        changes = {k: [before[k], after[k]] for k in _OVERRIDE_FIELDS if before[k] != after[k]}
        audit_record(
            actor=actor, action="workdays.override_changed", target=override, changes=changes
        )
    return override


def workdays_override_delete(*, actor: User | None, override_id: int) -> None:
    """Remove an override: the date goes back to what the package says."""
    with transaction.atomic():
        _lock_calendar()
        override = CalendarOverride.objects.select_for_update().filter(pk=override_id).first()
        if override is None:
            raise NotFound("workdays_override_not_found", _("No such calendar override."))
        values = _override_values(override)
        audit_record(
            actor=actor, action="workdays.override_deleted", target=override, changes=values
        )
        override.delete()
        _rederive(values["date"])
