"""Every periodic task of the product, declared in this one place.

Each task only calls a service of its app; the schedule is UTC (HUEY["utc"]) and documented in
docs/operations.md. Huey's consumer (`qoldau worker`) runs them.
"""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from qoldau.core import clock
from qoldau.workdays.services import workdays_ensure_loaded

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="17", hour="0"))
@lock_task("workdays-keep-loaded")
def keep_calendar_loaded() -> list[int]:
    """Daily: make sure this year and next year are in the working-day calendar (R32)."""
    loaded = workdays_ensure_loaded(through_year=clock.today().year + 1)
    if loaded:
        logger.info("working-day calendar: loaded years %s", loaded)
    return loaded
