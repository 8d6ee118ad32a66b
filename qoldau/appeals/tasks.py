"""Periodic work of appeals, scheduled in config/tasks.py; each calls one service."""

from __future__ import annotations

from qoldau.appeals.services import appeal_sweep_overdue, idempotency_key_purge


def sweep_overdue() -> int:
    """Every 5 minutes: flag appeals past their reply deadline and notify (R32)."""
    return appeal_sweep_overdue()


def purge_idempotency_keys() -> int:
    """Hourly: forget API idempotency keys past their retention (at least 24 hours)."""
    return idempotency_key_purge()
