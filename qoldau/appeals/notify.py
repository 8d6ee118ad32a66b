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
from qoldau.core.bulk import bulk_insert
from qoldau.core.outbox import OutboxDraft, outbox_enqueue, outbox_enqueue_many

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
    """One message for ``notification_queue_many`` (the arguments of ``notification_queue``)."""

    appeal: Appeal
    code: str
    recipient: str
    language: str
    key_suffix: str
    params: dict[str, Any] = field(default_factory=dict)


def notification_queue_many(
    drafts: list[NotificationDraft], *, new_appeals: bool = False, with_ids: bool = True
) -> list[Notification]:
    """``notification_queue`` for several messages (a group commit's acknowledgements): one
    SELECT, one multi-row INSERT into the outbox, one into the notifications. A message whose
    (appeal, code, suffix) was already kept is not queued again; ``new_appeals`` (the appeals
    were created in this transaction, so nothing of theirs is kept yet) skips both look-ups;
    ``with_ids=False`` then leaves the new rows' primary keys unread (a group commit's
    pipeline need not wait for them)."""
    drafts = [d for d in drafts if d.recipient]
    if not drafts:
        return []
    keys = [f"appeal:{d.appeal.pk}:{d.code}:{d.key_suffix}" for d in drafts]
    known: set[str] = (
        set()
        if new_appeals
        else set(
            Notification.objects.filter(outbox_key__in=keys).values_list("outbox_key", flat=True)
        )
    )
    now = clock.now()
    fresh: list[Notification] = []
    outgoing: list[OutboxDraft] = []
    for draft, key in zip(drafts, keys, strict=True):
        if key in known:
            continue
        known.add(key)
        notification = Notification(
            appeal=draft.appeal,
            code=draft.code,
            recipient=draft.recipient,
            language=draft.language if draft.language in ("kk", "ru", "en") else "kk",
            params=draft.params,
            outbox_key=key,
            created_at=now,
            queued=True,
        )
        subject, body = notification_render(notification)
        headers = {"Auto-Submitted": "auto-replied"} if draft.code in AUTOMATIC else {}
        outgoing.append(
            OutboxDraft(
                channel="email",
                recipient=draft.recipient,
                subject=subject,
                body=body,
                idempotency_key=key,
                headers=headers,
                category=f"appeals.{draft.code}",
                language=notification.language,
                related=draft.appeal,
            )
        )
        fresh.append(notification)
    rows = outbox_enqueue_many(
        outgoing, fresh_keys=new_appeals, with_ids=with_ids or not new_appeals
    )
    for notification, row in zip(fresh, rows, strict=True):
        notification.outbox_message_id = row.message_id[:998]
    bulk_insert(fresh, with_ids=with_ids or not new_appeals)
    return fresh


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
def _templates(language: str) -> tuple[dict[str, str], dict[str, str]]:
    """The subjects and texts in ``language``, translated once per process (a group commit
    renders dozens of acknowledgements per batch; catalogues do not change while it runs)."""
    with translation.override(language):
        return _subjects(), _bodies()


def notification_render(notification: Notification) -> tuple[str, str]:
    """Subject and text of a notification in its recipient's language."""
    params = {"number": notification.appeal.number, **notification.params}
    subjects, bodies = _templates(notification.language)
    with translation.override(notification.language):
        subject = subjects.get(notification.code, "%(number)s")
        body = bodies.get(notification.code, "%(number)s")
        try:
            return subject % params, body % params
        except (KeyError, TypeError, ValueError):
            logger.warning("notification %s: missing parameters", notification.pk)
            return subject, body
