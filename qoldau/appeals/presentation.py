"""Rendering stored codes and parameters in the reader's language (never stored prose)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import formats
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from qoldau.appeals.deadlines import TimeLeft, is_overdue, time_left
from qoldau.appeals.enums import Channel
from qoldau.appeals.models import Appeal, AppealEvent
from qoldau.appeals.transitions import AWAITING_REPLY
from qoldau.core import clock
from qoldau.core.errors import DomainError
from qoldau.policy.selectors import policy_citation


def _moment(value: Any) -> str:
    parsed = parse_datetime(str(value or ""))
    if parsed is None:
        return str(value or "")
    return formats.date_format(parsed.astimezone(clock.local_zone()), "d.m.Y H:i")


def event_text(event: AppealEvent) -> str:
    params = event.params or {}
    code = event.code
    if code == "registered" and not params.get("due"):
        return _("Registered.")
    if code == "registered":
        channel = params.get("channel", "")
        label = Channel(channel).label if channel in Channel.values else channel
        return _("Registered (channel: %(channel)s); the answer is due by %(due)s.") % {
            "channel": label,
            "due": _moment(params.get("due")),
        }
    texts = {
        "taken": _("Taken into work."),
        "answered": _("Answered."),
        "closed": _("Closed."),
        "transferred": _("Transferred to %(to)s."),
        "referred": _("Referred to a competent body: %(body)s."),
        "forwarded": _("Complaint forwarded to a competent body."),
        "reopened": _("Reopened: %(reason)s"),
        "linked": _("Linked to appeal %(number)s."),
        "merged": _("Merged into appeal %(number)s."),
        "duplicate_joined": _("Appeal %(number)s was merged into this one as a duplicate."),
        "overdue": _("The answer was due by %(due)s and is overdue."),
        "email_reply": _("The applicant wrote again by e-mail."),
        "status_inquiry": _("The application status was checked in the monitoring system."),
        "no_deadline_rule": _("No deadline rule was in force; set the deadline by hand."),
        "malformed_mail": _("The e-mail could not be read completely; it is kept as received."),
        "call_linked": _("Registered during call %(call)s."),
    }
    text = texts.get(code)
    if text is None:
        return code
    values = {key: (_moment(val) if key == "due" else val) for key, val in params.items()}
    try:
        return text % values
    except (KeyError, TypeError, ValueError):
        return text


@dataclass(frozen=True)
class Deadline:
    due_at: dt.datetime | None
    overdue: bool
    left: TimeLeft | None

    def describe(self) -> str:
        if self.left is None:
            return ""
        parts = []
        if self.left.days:
            parts.append(
                ngettext("%(n)d day", "%(n)d days", self.left.days) % {"n": self.left.days}
            )
        parts.append(
            ngettext("%(n)d hour", "%(n)d hours", self.left.hours) % {"n": self.left.hours}
        )
        span = " ".join(parts)
        if self.overdue:
            return _("overdue by %(span)s") % {"span": span}
        return _("%(span)s left") % {"span": span}


def deadline_of(appeal: Appeal, now: dt.datetime | None = None) -> Deadline:
    moment = now or clock.now()
    waiting = appeal.status in AWAITING_REPLY
    if appeal.due_at is None or not waiting:
        return Deadline(appeal.due_at, False, None)
    overdue = is_overdue(due_at=appeal.due_at, now=moment, awaiting_reply=waiting)
    return Deadline(appeal.due_at, overdue, time_left(appeal.due_at, moment))


def citation_of(appeal: Appeal) -> str:
    """The deadline's paragraph in the reader's language (the stored text is the English one)."""
    if appeal.due_rule_id is None:
        return appeal.due_citation
    try:
        return policy_citation(appeal.due_rule_id)
    except DomainError:
        return appeal.due_citation


def mask_phone(phone: str) -> str:
    return f"{phone[:5]}•••{phone[-2:]}" if len(phone) > 7 else ("•••" if phone else "")


def mask_iin(iin: str) -> str:
    return f"{iin[:2]}••••••••{iin[-2:]}" if len(iin) == 12 else ("•••" if iin else "")


def mask_email(email: str) -> str:
    if "@" not in email:
        return "•••" if email else ""
    local, domain = email.split("@", 1)
    return f"{local[:1]}•••@{domain}"
