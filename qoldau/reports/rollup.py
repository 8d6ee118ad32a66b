"""Writes of the reports: seal quarter-hours of call figures into ``CallInterval`` (R16, R19).

A quarter-hour is sealed ``SEAL_AFTER`` after it ends: by then every call that arrived in it has
an outcome (answered or abandoned; the PBX ends a call that rings on that long). Calls that
change later than that (a late event) are caught by ``--rebuild`` of the ``reports`` command.
The periodic task ``reports_seal_call_intervals`` (config/tasks.py) runs this every five minutes.
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
from qoldau.reports.models import CallInterval, RollupMark
from qoldau.telephony.models import CallRecord

SEAL_AFTER = dt.timedelta(hours=2)


def _next_local_midnight(moment: dt.datetime) -> dt.datetime:
    zone = clock.local_zone()
    day = moment.astimezone(zone).date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time.min, tzinfo=zone)


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
