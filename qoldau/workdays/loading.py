"""Writes the years of the calendar and keeps ``work_index`` right (docs/adr/0003).

Called by ``services.py`` inside its transaction and by the data migration
``0002_seed_calendar`` with historical models: keep ``write_years``' signature.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import F, Max, Min

from qoldau.workdays.holiday_source import plan_year


def write_years(years: list[int], *, day_model: Any, override_model: Any) -> None:
    """(Re)write the contiguous ``years`` from the package and the overrides, then shift the
    index of every later date by the change. The loaded range must stay without gaps: the
    years must touch or overlap it (callers fill gaps first)."""
    if not years:
        return
    if years != list(range(years[0], years[-1] + 1)):
        raise ValueError(f"years must be contiguous, not {years}")
    first = dt.date(years[0], 1, 1)
    last = dt.date(years[-1], 12, 31)
    bounds = day_model.objects.aggregate(first=Min("date"), last=Max("date"))
    if bounds["first"] is not None and (
        first > bounds["last"] + dt.timedelta(days=1)
        or last < bounds["first"] - dt.timedelta(days=1)
    ):
        raise ValueError(f"years {years} would leave a gap in the loaded calendar")
    overrides = dict(
        override_model.objects.filter(date__range=(first, last)).values_list("date", "is_working")
    )
    plan = [day for year in years for day in plan_year(year, overrides)]
    before = (
        day_model.objects.filter(date__lt=first)
        .order_by("-date")
        .values_list("work_index", flat=True)
        .first()
    ) or 0
    old_at_last = (
        day_model.objects.filter(date__lte=last)
        .order_by("-date")
        .values_list("work_index", flat=True)
        .first()
    ) or 0
    day_model.objects.filter(date__range=(first, last)).delete()
    index = before
    rows = []
    for planned in plan:
        index += int(planned.is_working)
        rows.append(
            day_model(
                date=planned.date,
                is_working=planned.is_working,
                kind=planned.kind,
                name_kk=planned.name_kk,
                name_ru=planned.name_ru,
                name_en=planned.name_en,
                source=planned.source,
                work_index=index,
            )
        )
    day_model.objects.bulk_create(rows, batch_size=500)
    delta = index - old_at_last
    if delta:
        day_model.objects.filter(date__gt=last).update(work_index=F("work_index") + delta)
