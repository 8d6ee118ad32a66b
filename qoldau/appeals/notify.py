"""Messages of appeals to applicants and bodies: a row kept with the appeal and handed to the core
outbox in the same transaction (delivery happens after commit, by the worker; design rule 4).

Messages are stored as a code and parameters and rendered in the recipient's language when the
outbox asks (``notification_render``), never stored as prose.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from qoldau.appeals.models import Appeal, Notification
from qoldau.core import clock
from qoldau.core.outbox import OutboxDraft, outbox_enqueue, outbox_new_rows

logger = logging.getLogger(__name__)

# Messages the system sends on its own (not an operator's answer): marked per RFC 3834.
AUTOMATIC = frozenset({"acknowledgement", "transfer", "overdue", "rating_request"})


def notification_queue(
    *,
    appeal: Appeal,
    code: str,
    recipient: str,
    language: str,
    params: dict[str, Any] | None = None,
    key_suffix: str = "",
    in_reply_to: str = "",
) -> Notification | None:
    """Keep a message for ``recipient``, hand it to the outbox; one per (appeal, code, suffix)."""
    if not recipient:
        return None
    key = f"appeal:{appeal.pk}:{code}:{key_suffix or clock.now().strftime('%Y%m%d%H%M%S%f')}"
    existing = Notification.objects.filter(outbox_key=key).first()
    if existing is not None:
        return existing
    notification = Notification.objects.create(
        appeal=appeal,
        code=code,
        recipient=recipient,
        language=language if language in ("kk", "ru", "en") else "kk",
        params=params or {},
        outbox_key=key,
        created_at=clock.now(),
    )
    subject, body = notification_render(notification)
    headers = {"In-Reply-To": in_reply_to, "References": in_reply_to} if in_reply_to else {}
    if code in AUTOMATIC:
        headers["Auto-Submitted"] = "auto-replied"  # RFC 3834: no auto-reply loops
    row = outbox_enqueue(
        channel="email",
        recipient=recipient,
        subject=subject,
        body=body,
        idempotency_key=key,
        headers=headers,
        category=f"appeals.{code}",
        language=notification.language,
        related=appeal,
    )
    notification.queued = True
    notification.outbox_message_id = row.message_id[:998]
    notification.save(update_fields=["queued", "outbox_message_id"])
    return notification


@dataclass(frozen=True)
class NotificationDraft:
    """One message for ``notification_new_rows`` (the arguments of ``notification_queue``)."""

    appeal: Appeal
    code: str
    recipient: str
    language: str
    key_suffix: str
    params: dict[str, Any] = field(default_factory=dict)


def notification_new_rows(
    drafts: list[NotificationDraft],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The rows that ``notification_queue`` would write for messages about appeals made in the
    caller's transaction (a group commit's acknowledgements; nothing of theirs can be kept
    yet, so nothing is read): the notifications and their outbox rows, rendered in each
    recipient's language, for the caller to write in its own statements. The appeals' primary
    keys must be set."""
    now = clock.now()
    notifications: list[dict[str, Any]] = []
    outgoing: list[OutboxDraft] = []
    for draft in drafts:
        if not draft.recipient:
            continue
        language = draft.language if draft.language in ("kk", "ru", "en") else "kk"
        key = f"appeal:{draft.appeal.pk}:{draft.code}:{draft.key_suffix}"
        subject, body = _render(
            draft.code, language, {"number": draft.appeal.number, **draft.params}
        )
        outgoing.append(
            OutboxDraft(
                channel="email",
                recipient=draft.recipient,
                subject=subject,
                body=body,
                idempotency_key=key,
                headers={"Auto-Submitted": "auto-replied"} if draft.code in AUTOMATIC else {},
                category=f"appeals.{draft.code}",
                language=language,
                related=draft.appeal,
            )
        )
        notifications.append(
            {
                "appeal_id": draft.appeal.pk,
                "code": draft.code,
                "recipient": draft.recipient,
                "language": language,
                "params": draft.params,
                "outbox_key": key,
                "created_at": now,
                "queued": True,
            }
        )
    outbox = outbox_new_rows(outgoing)
    for notification, row in zip(notifications, outbox, strict=True):
        notification["outbox_message_id"] = row["message_id"][:998]
    return notifications, outbox


def _subjects() -> dict[str, str]:
    return {
        "acknowledgement": _("Your appeal No. %(number)s is registered"),
        "answer": _("Answer to your appeal No. %(number)s"),
        "referral": _("Where to address your question (appeal No. %(number)s)"),
        "transfer": _("Your appeal No. %(number)s was passed to a specialist"),
        "complaint_forwarded": _("Complaint No. %(number)s forwarded for consideration"),
        "complaint_received": _("A complaint No. %(number)s for your consideration"),
        "overdue": _("Appeal No. %(number)s is overdue"),
        "closed": _("Your appeal No. %(number)s is closed"),
        "rating_request": _("Rate the answer to your appeal No. %(number)s"),
    }


def _bodies() -> dict[str, str]:
    return {
        "acknowledgement": _(
            "Your appeal is registered under No. %(number)s. The answer is due by %(due)s. "
            "Quote this number in replies and when you call 1414."
        ),
        "answer": _("Answer to your appeal No. %(number)s:\n\n%(text)s"),
        "referral": _(
            "Your question is outside the competence of the contact center. Please address "
            "it to: %(body)s\n\n%(details)s"
        ),
        "transfer": _("Your appeal No. %(number)s was passed to a specialist who will answer it."),
        "complaint_forwarded": _(
            "Your complaint No. %(number)s was forwarded to %(body)s for consideration."
        ),
        "complaint_received": _(
            "The contact center forwards complaint No. %(number)s for your consideration."
            "\n\n%(content)s"
        ),
        "overdue": _("The reply to appeal No. %(number)s was due by %(due)s."),
        "closed": _("Your appeal No. %(number)s is closed. Measures taken: %(measures)s"),
        "rating_request": _(
            "How well was your appeal No. %(number)s handled? Give it a score from 1 to 5 "
            "(one click, no sign-in): %(url)s"
        ),
    }


@functools.cache
def notification_templates(language: str) -> tuple[dict[str, str], dict[str, str]]:
    """The subjects and texts in ``language``, translated once per process (a group commit
    renders dozens of acknowledgements per batch; catalogues do not change while it runs)."""
    with translation.override(language):
        return _subjects(), _bodies()


def notification_render(notification: Notification) -> tuple[str, str]:
    """Subject and text of a notification in its recipient's language."""
    params = {"number": notification.appeal.number, **notification.params}
    return _render(notification.code, notification.language, params, pk=notification.pk)


def _render(
    code: str, language: str, params: dict[str, Any], *, pk: int | None = None
) -> tuple[str, str]:
    subjects, bodies = notification_templates(language)
    subject = subjects.get(code, "%(number)s")
    body = bodies.get(code, "%(number)s")
    try:
        return subject % params, body % params
    except (KeyError, TypeError, ValueError):
        logger.warning("notification %s: missing parameters", pk)
        return subject, body
