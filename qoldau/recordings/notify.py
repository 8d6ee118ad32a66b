"""Notices of recording requests, handed to the outbox in the use case's transaction (design
rule 4) and written in the recipient's language."""

from __future__ import annotations

from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from qoldau.core import clock
from qoldau.core.outbox import outbox_enqueue
from qoldau.recordings.models import RecordingRequest


def _texts() -> dict[str, tuple[str, str]]:
    return {
        "late": (
            _("Recording request No. %(number)s is late"),
            _(
                "The recordings of the calls from %(phone)s on %(date)s, requested by "
                "%(body)s, were due by %(due)s (Rules p.14) and have not been delivered. "
                "Open the request: %(path)s"
            ),
        ),
        "delivered": (
            _("The recordings for your request No. %(number)s are ready"),
            _(
                "The contact center delivered the recordings you requested. Download them by "
                "%(until)s: %(path)s"
            ),
        ),
        "none_found": (
            _("Answer to your recording request No. %(number)s"),
            _(
                "The contact center found no recorded calls from %(phone)s on %(date)s. "
                "The answer is in the request: %(path)s"
            ),
        ),
    }


def _local(moment: Any) -> str:
    return f"{moment.astimezone(clock.local_zone()):%d.%m.%Y %H:%M}" if moment else ""


def request_notice(
    *, request: RecordingRequest, code: str, recipient: Any, path: str, key: str
) -> None:
    """Queue the notice ``code`` about ``request`` for the user ``recipient`` (once per key)."""
    email = str(getattr(recipient, "email", "") or "")
    if not email:
        return
    language = getattr(recipient, "language", "kk")
    language = language if language in ("kk", "ru", "en") else "kk"
    params = {
        "number": request.pk,
        "phone": request.phone,
        "date": f"{request.call_date:%d.%m.%Y}",
        "body": str(request.organisation),
        "due": _local(request.due_at),
        "until": _local(request.delivery_expires_at),
        "path": path,
    }
    with translation.override(language):
        subject, body = _texts()[code]
        subject, body = subject % params, body % params
    outbox_enqueue(
        channel="email",
        recipient=email,
        subject=subject,
        body=body,
        idempotency_key=key,
        headers={"Auto-Submitted": "auto-generated"},
        category=f"recordings.{code}",
        language=language,
        related=request,
    )
