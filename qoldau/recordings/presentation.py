"""Rendering for the recordings screens: the four-hour clock in the reader's language."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from qoldau.core import clock
from qoldau.core.errors import DomainError
from qoldau.policy.selectors import policy_citation
from qoldau.recordings.models import RecordingRequest
from qoldau.recordings.transitions import OPEN


@dataclass(frozen=True)
class Clock:
    due_at: dt.datetime
    running: bool
    overdue: bool
    text: str


def _span(seconds: int) -> str:
    hours, rest = divmod(abs(seconds), 3600)
    minutes = rest // 60
    parts = []
    if hours:
        parts.append(ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours})
    parts.append(ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes})
    return " ".join(parts)


def clock_of(request: RecordingRequest, now: dt.datetime | None = None) -> Clock:
    """Time left until the request is due, or how late it is (while it is open)."""
    moment = now or clock.now()
    running = request.status in OPEN
    seconds = int((request.due_at - moment).total_seconds())
    overdue = running and seconds < 0
    if not running:
        answered = request.answered_at
        if answered is not None and answered > request.due_at:
            text = _("answered late, %(span)s after the due time") % {
                "span": _span(int((answered - request.due_at).total_seconds()))
            }
        elif answered is not None:
            text = _("answered on time")
        else:
            text = ""
        return Clock(request.due_at, False, False, text)
    if overdue:
        return Clock(request.due_at, True, True, _("late by %(span)s") % {"span": _span(seconds)})
    return Clock(request.due_at, True, False, _("%(span)s left") % {"span": _span(seconds)})


def citation_of(request: RecordingRequest) -> str:
    """The deadline's paragraph in the reader's language (the stored text is the English one)."""
    try:
        return policy_citation(request.due_rule_id)
    except DomainError:
        return request.due_citation


def mask_phone(phone: str) -> str:
    return f"{phone[:5]}•••{phone[-2:]}" if len(phone) > 7 else ("•••" if phone else "")


def local(moment: dt.datetime | None) -> dt.datetime | None:
    return moment.astimezone(clock.local_zone()) if moment else None


def call_state_label(state: str) -> str:
    """The call's state in the reader's language (labels of this app's catalogue)."""
    labels = {
        "arrived": pgettext("call state", "Arrived"),
        "queued": pgettext("call state", "Waiting"),
        "offered": pgettext("call state", "Ringing"),
        "talking": pgettext("call state", "Talking"),
        "ended": pgettext("call state", "Ended"),
        "abandoned": pgettext("call state", "Abandoned"),
    }
    return labels.get(state, state)
