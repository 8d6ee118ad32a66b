"""Periodic work of the mail app; config/tasks.py declares the schedule and calls these.

Each is safe to run in several workers at once and after a crash: the pipeline's steps are
idempotent and the outbox claims rows with ``skip_locked``.
"""

from __future__ import annotations

import logging

from qoldau.core.outbox import DeliveryReport, outbox_deliver_due
from qoldau.mail.services import PollReport, mail_poll_all

logger = logging.getLogger(__name__)


def poll_mailboxes() -> list[PollReport]:
    """Every minute: read every active mailbox, process and mark what is pending (R9)."""
    reports = mail_poll_all()
    for report in reports:
        fetched = report.fetched.stored if report.fetched else 0
        if fetched or report.processed or report.failed or report.error:
            logger.info(
                "mail %s: %d stored, %d processed, %d failed, %d marked%s",
                report.mailbox,
                fetched,
                report.processed,
                report.failed,
                report.acknowledged,
                f"; error: {report.error}" if report.error else "",
            )
    return reports


def deliver_outbox() -> DeliveryReport:
    """Every minute: send what the outbox holds (acknowledgements, answers), with retries."""
    report = outbox_deliver_due(limit=200)
    if report.claimed:
        logger.info(
            "outbox: %d sent, %d to retry, %d failed", report.sent, report.retried, report.failed
        )
    return report
