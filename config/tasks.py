"""Every periodic task of the product, declared in this one place.

Each task only calls a service of its app; the schedule is UTC (HUEY["utc"]) and documented in
docs/operations.md. Huey's consumer (`qoldau worker`) runs them.
"""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from qoldau.appeals.tasks import purge_idempotency_keys, sweep_overdue
from qoldau.core import clock
from qoldau.knowledge.services import index_change_prune, knowledge_flag_unreviewed_changes
from qoldau.mail.tasks import deliver_outbox, poll_mailboxes
from qoldau.recordings import tasks as recordings_tasks
from qoldau.reports.rollup import call_intervals_seal, rating_days_seal
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


@db_periodic_task(crontab(minute="*/30"))
@lock_task("knowledge-flag-changes")
def knowledge_flag_changes() -> int:
    """Every 30 minutes: flag articles of by-law changes the registry event missed (R23)."""
    return knowledge_flag_unreviewed_changes()


@db_periodic_task(crontab(minute="40", hour="1"))
@lock_task("knowledge-prune-index-log")
def knowledge_prune_index_log() -> int:
    """Daily: drop old rows of the search index's change log (processes catch up from it)."""
    return index_change_prune()


@db_periodic_task(crontab(minute="*"))
@lock_task("mail-poll")
def mail_poll_mailboxes() -> int:
    """Every minute: fetch, register and mark the new mail of every active mailbox (R9)."""
    return len(poll_mailboxes())


@db_periodic_task(crontab(minute="*"))
@lock_task("outbox-deliver")
def outbox_deliver() -> int:
    """Every minute: send what is due in the outbox, with retries and backoff."""
    return deliver_outbox().sent


@db_periodic_task(crontab(minute="*/5"))
@lock_task("appeals-sweep-overdue")
def appeals_sweep_overdue() -> int:
    """Every 5 minutes: flag appeals past their reply deadline and notify (R32)."""
    return sweep_overdue()


@db_periodic_task(crontab(minute="23"))
@lock_task("appeals-purge-idempotency-keys")
def appeals_purge_idempotency_keys() -> int:
    """Hourly: forget API idempotency keys past their retention (at least 24 hours)."""
    return purge_idempotency_keys()


@db_periodic_task(crontab(minute="*/5"))
@lock_task("reports-seal-call-intervals")
def reports_seal_call_intervals() -> int:
    """Every five minutes: seal the quarter-hours of call figures ended two hours ago (R16),
    and the local days of call ratings ended two hours ago (R13)."""
    return call_intervals_seal() + rating_days_seal()


@db_periodic_task(crontab(minute="*"))
@lock_task("recordings-sweep-late")
def recordings_sweep_late() -> int:
    """Every minute: flag recording requests past their four-hour due time (R17, p.14)."""
    return recordings_tasks.sweep_late()


@db_periodic_task(crontab(minute="*/10"))
@lock_task("recordings-expire-deliveries")
def recordings_expire_deliveries() -> int:
    """Every 10 minutes: close the recording downloads whose time ran out (R17)."""
    return recordings_tasks.expire_deliveries()


@db_periodic_task(crontab(minute="47", hour="2"))
@lock_task("recordings-purge-expired")
def recordings_purge_expired() -> int:
    """Daily: delete recordings past their retention that no request holds (ADR 0006)."""
    return recordings_tasks.purge_expired()
