"""Hand-made call records for the reports' tests (written directly: these are fixtures)."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any
from zoneinfo import ZoneInfo

from qoldau.telephony.enums import CallState
from qoldau.telephony.models import CallRecord

ALMATY = ZoneInfo("Asia/Almaty")
_ids = itertools.count(1)


def local(day: dt.date, hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute, second), tzinfo=ALMATY)


def make_call(
    arrived_at: dt.datetime,
    *,
    wait: float | None = None,
    abandoned: bool = False,
    queue: str = "general",
    language: str = "ru",
    state: str | None = None,
    rating: int | None = None,
    operator: Any = None,
    service: Any = None,
    line: str = "1414",
) -> CallRecord:
    """A call that was answered after ``wait`` seconds, abandoned after ``wait`` seconds, or
    (``wait`` None) is still waiting."""
    answered_at = ended_at = None
    if wait is not None and not abandoned:
        answered_at = arrived_at + dt.timedelta(seconds=wait)
        ended_at = answered_at + dt.timedelta(minutes=3)
    elif wait is not None:
        ended_at = arrived_at + dt.timedelta(seconds=wait)
    if state is None:
        state = (
            CallState.ABANDONED
            if abandoned
            else (CallState.ENDED if wait is not None else CallState.QUEUED)
        )
    return CallRecord.objects.create(
        call_id=f"test-{next(_ids)}",
        line=line,
        language=language,
        queue=queue,
        state=state,
        arrived_at=arrived_at,
        answered_at=answered_at,
        ended_at=ended_at,
        wait_seconds=wait,
        talk_seconds=180.0 if answered_at else None,
        abandoned=abandoned,
        rating=rating,
        rated_at=ended_at if rating else None,
        operator=operator,
        service=service,
        updated_at=arrived_at,
    )
