from __future__ import annotations

import logging

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.utils import Error as DatabaseError
from prometheus_client import Gauge

logger = logging.getLogger(__name__)

QUEUE_PENDING = Gauge("qoldau_queue_pending_tasks", "Tasks waiting in the worker queue")


def database_ok(connection: BaseDatabaseWrapper) -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            row = cursor.fetchone()
            return row is not None and tuple(row) == (1,)
    except DatabaseError:
        logger.exception("health check: database unreachable")
        return False


def queue_size() -> int:
    from huey.contrib.djhuey import HUEY

    return int(HUEY.pending_count())


def queue_ok() -> bool:
    try:
        queue_size()
    except Exception:  # any storage error (Redis down, SQLite file unreadable) means unhealthy
        logger.exception("health check: queue unreachable")
        return False
    return True


def refresh_gauges(connection: BaseDatabaseWrapper) -> None:
    try:
        QUEUE_PENDING.set(queue_size())
    except Exception:  # metrics must still be served when the queue is down
        logger.exception("metrics: queue size unavailable")
