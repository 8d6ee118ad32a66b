"""Deadline arithmetic of appeals (R32). Pure: no database, no clock; the caller passes "now"."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

# p.8: the reply to a written appeal is due within two working days. The Rules name no other
# reply term, so every channel's appeal gets it (a phone appeal answered in the call is closed
# at once and never falls due). The value itself lives in the policy table.
REPLY_RULE_CODE = "email_reply"


def reply_rule_code(channel: str) -> str:
    """The policy code whose deadline an appeal of ``channel`` gets."""
    return REPLY_RULE_CODE


@dataclass(frozen=True)
class TimeLeft:
    overdue: bool
    days: int
    hours: int
    minutes: int


def time_left(due_at: dt.datetime, now: dt.datetime) -> TimeLeft:
    """How long until ``due_at`` (or how long since, when overdue), in whole units."""
    delta = due_at - now
    overdue = delta.total_seconds() < 0
    seconds = int(abs(delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    return TimeLeft(overdue=overdue, days=days, hours=hours, minutes=rest // 60)


def is_overdue(*, due_at: dt.datetime | None, now: dt.datetime, awaiting_reply: bool) -> bool:
    return awaiting_reply and due_at is not None and now > due_at
