"""Writes of the reports: seal quarter-hours of call figures into ``CallInterval`` (R16, R19)
and local days of call ratings into ``RatingDay`` (R13).

A quarter-hour is sealed ``SEAL_AFTER`` after it ends: by then every call that arrived in it has
an outcome (answered or abandoned; the PBX ends a call that rings on that long). Calls that
change later than that (a late event) are caught by ``--rebuild`` of the ``reports`` command.
The periodic task ``reports_seal_call_intervals`` (config/tasks.py) runs both every five minutes.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Count, Q, Sum

from qoldau.core import clock
from qoldau.reports.call_metrics import (
    ANSWERED,
    QUARTER,
    ROLLUP_MARK,
    answer_target,
    quarter_floor,
)
from qoldau.reports.expressions import EpochBucket
from qoldau.reports.models import CallInterval, RatingDay, RollupMark
from qoldau.reports.periods import local_midnight
from qoldau.reports.quality import RATING_FIELDS, RATING_MARK, rating_key
from qoldau.telephony.models import CallRecord

SEAL_AFTER = dt.timedelta(hours=2)


def _next_local_midnight(moment: dt.datetime) -> dt.datetime:
    return local_midnight(moment.astimezone(clock.local_zone()).date() + dt.timedelta(days=1))


def _seal(start: dt.datetime, end: dt.datetime) -> int:
    """Recompute the quarter-hours of ``[start, end)``, a day at a time (one target a day)."""
    CallInterval.objects.filter(start__gte=start, start__lt=end).delete()
    written = 0
    chunk = start
    while chunk < end:
        chunk_end = min(end, _next_local_midnight(chunk))
        target = answer_target(chunk).seconds
        rows = (
            CallRecord.objects.filter(arrived_at__gte=chunk, arrived_at__lt=chunk_end)
            .order_by()
            .annotate(bucket=EpochBucket("arrived_at", QUARTER))
            .values("bucket", "queue", "language")
            .annotate(
                n_calls=Count("pk"),
                n_answered=Count("pk", filter=ANSWERED),
                n_within=Count("pk", filter=ANSWERED & Q(wait_seconds__lte=target)),
                n_abandoned=Count("pk", filter=Q(abandoned=True)),
                s_wait=Sum("wait_seconds", filter=ANSWERED),
            )
        )
        batch = [
            CallInterval(
                start=dt.datetime.fromtimestamp(int(r["bucket"]), tz=dt.UTC),
                queue=r["queue"],
                language=r["language"],
                calls=r["n_calls"],
                answered=r["n_answered"],
                within_target=r["n_within"],
                abandoned=r["n_abandoned"],
                wait_sum=float(r["s_wait"] or 0.0),
                target_seconds=target,
            )
            for r in rows
        ]
        CallInterval.objects.bulk_create(batch, batch_size=2000)
        written += len(batch)
        chunk = chunk_end
    return written


def call_intervals_seal(
    *, now: dt.datetime | None = None, rebuild_from: dt.datetime | None = None
) -> int:
    """Seal every quarter-hour that ended ``SEAL_AFTER`` ago and is not sealed yet (or, with
    ``rebuild_from``, recompute from there). Returns the rollup rows written."""
    now = now or clock.now()
    until = quarter_floor(now - SEAL_AFTER)
    with transaction.atomic(durable=True):
        mark = RollupMark.objects.select_for_update().filter(name=ROLLUP_MARK).first()
        if rebuild_from is not None:
            start = quarter_floor(rebuild_from)
            if mark is not None:  # never leave a gap between the old mark and the rebuild
                start = min(start, mark.until)
        elif mark is not None:
            start = mark.until
        else:
            first = CallRecord.objects.order_by("arrived_at").values_list("arrived_at", flat=True)
            earliest = first.first()
            start = quarter_floor(earliest) if earliest is not None else until
        written = _seal(start, until) if start < until else 0
        if mark is None:
            RollupMark.objects.create(name=ROLLUP_MARK, until=until, refreshed_at=now)
        else:
            mark.until = max(until, mark.until) if rebuild_from is None else until
            mark.refreshed_at = now
            mark.save(update_fields=["until", "refreshed_at"])
    return written


# --- ratings: one row per local day, dimension, key and score --------------------------------


def _seal_rating_day(day: dt.date) -> int:
    rated = CallRecord.objects.filter(
        arrived_at__gte=local_midnight(day),
        arrived_at__lt=local_midnight(day + dt.timedelta(days=1)),
        rating__isnull=False,
    ).order_by()
    batch = [
        RatingDay(
            day=day,
            dimension=dimension,
            key=rating_key(row[field]),
            score=row["rating"],
            rated=row["n"],
        )
        for dimension, field in RATING_FIELDS.items()
        for row in rated.values(field, "rating").annotate(n=Count("pk"))
    ]
    RatingDay.objects.bulk_create(batch, batch_size=2000)
    return len(batch)


def rating_days_seal(
    *, now: dt.datetime | None = None, rebuild_from: dt.datetime | None = None
) -> int:
    """Seal every local day that ended ``SEAL_AFTER`` ago and is not sealed yet (or, with
    ``rebuild_from``, recompute from its local day). Returns the rollup rows written."""
    now = now or clock.now()
    zone = clock.local_zone()
    until = (now - SEAL_AFTER).astimezone(zone).date()  # the first day not sealed
    with transaction.atomic(durable=True):
        mark = RollupMark.objects.select_for_update().filter(name=RATING_MARK).first()
        if rebuild_from is not None:
            first = rebuild_from.astimezone(zone).date()
            if mark is not None:  # never leave a gap between the old mark and the rebuild
                first = min(first, mark.until.astimezone(zone).date())
        elif mark is not None:
            first = mark.until.astimezone(zone).date()
        else:
            earliest = (
                CallRecord.objects.order_by("arrived_at").values_list("arrived_at", flat=True)
            ).first()
            first = earliest.astimezone(zone).date() if earliest is not None else until
        written = 0
        if first < until:
            RatingDay.objects.filter(day__gte=first, day__lt=until).delete()
            day = first
            while day < until:
                written += _seal_rating_day(day)
                day += dt.timedelta(days=1)
        sealed_until = local_midnight(until)
        if mark is None:
            RollupMark.objects.create(name=RATING_MARK, until=sealed_until, refreshed_at=now)
        else:
            keep = rebuild_from is None and mark.until > sealed_until
            mark.until = mark.until if keep else sealed_until
            mark.refreshed_at = now
            mark.save(update_fields=["until", "refreshed_at"])
    return written
