"""Commands to the PBX (the other half of the telephony port): ring an operator, connect the
call an operator accepted, transfer it with a notice to the caller, hang up.

Commands leave through the outbox (design rule 4) on the channel ``cti``: written in the
transaction that decided them, delivered by ``qoldau router`` within about a second, with
retries. The transport is chosen by ``TELEPHONY_CONTROL``:

- ``""`` (default): no commands, the PBX distributes calls itself (Asterisk queues) and Qoldau
  follows its events;
- ``webhook``: an HTTPS POST of each command to ``TELEPHONY_CONTROL_URL``, signed like the
  inbound webhook (docs/telephony.md);
- ``simulator``: the demo's traffic simulator takes them (it registers its own transport).
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from typing import Any

from django.conf import settings

from qoldau.core import events
from qoldau.core.outbox import (
    Envelope,
    PermanentDeliveryError,
    TemporaryDeliveryError,
    outbox_enqueue,
    outbox_register_transport,
)
from qoldau.routing.enums import WorkChannel
from qoldau.routing.models import Operator, Reservation, Task
from qoldau.telephony.adapters.webhook import secrets, sign

logger = logging.getLogger(__name__)
CHANNEL = "cti"
COMMANDS = frozenset({"offer", "connect", "transfer", "hangup", "cancel_offer"})


def control_mode() -> str:
    return str(getattr(settings, "TELEPHONY_CONTROL", "") or "")


def command_send(*, command: str, call_id: str, key: str, **params: Any) -> None:
    """Queue a command for the PBX in the caller's transaction (no-op without control)."""
    if not control_mode():
        return
    if command not in COMMANDS:
        raise ValueError(f"unknown PBX command {command!r}")
    body = json.dumps({"command": command, "call_id": call_id, **params}, ensure_ascii=False)
    outbox_enqueue(
        channel=CHANNEL,
        recipient=str(getattr(settings, "TELEPHONY_CONTROL_URL", "") or "pbx"),
        subject=command,
        body=body,
        idempotency_key=f"cti:{call_id}:{key}",
        category=f"telephony.{command}",
        max_attempts=3,
    )


def _extension(operator: Operator) -> str:
    return operator.extension or operator.user.get_username()


def _on_offered(*, reservation: Reservation, task: Task) -> None:
    # Checked first: the operator's extension would cost a query on every offer.
    if control_mode() and reservation.channel == WorkChannel.VOICE:
        command_send(
            command="offer",
            call_id=task.ref,
            key=f"offer:{reservation.pk}",
            extension=_extension(reservation.operator),
            seconds=int((reservation.expires_at - reservation.offered_at).total_seconds()),
        )


def _on_accepted(*, reservation: Reservation, task: Task | None) -> None:
    if control_mode() and reservation.channel == WorkChannel.VOICE and task is not None:
        command_send(
            command="connect",
            call_id=task.ref,
            key=f"connect:{reservation.pk}",
            extension=_extension(reservation.operator),
        )


def _on_declined(*, reservation: Reservation, task: Task, state: str) -> None:
    if control_mode() and reservation.channel == WorkChannel.VOICE:
        command_send(
            command="cancel_offer",
            call_id=task.ref,
            key=f"cancel:{reservation.pk}",
            extension=_extension(reservation.operator),
            reason=state,
        )


def control_subscribe() -> None:
    events.subscribe("routing.offered", _on_offered)
    events.subscribe("routing.accepted", _on_accepted)
    events.subscribe("routing.declined", _on_declined)


class WebhookControlTransport:
    """POSTs each command as JSON, signed with the first configured webhook secret."""

    def __init__(self) -> None:
        self.url = str(getattr(settings, "TELEPHONY_CONTROL_URL", "") or "")
        self.timeout = float(getattr(settings, "TELEPHONY_CONTROL_TIMEOUT_SECONDS", 5))

    def send(self, envelope: Envelope) -> None:
        if not self.url.startswith(("https://", "http://")):
            raise PermanentDeliveryError("TELEPHONY_CONTROL_URL is not an http(s) address")
        configured = secrets()
        if not configured:
            raise PermanentDeliveryError("TELEPHONY_WEBHOOK_SECRETS is empty")
        body = envelope.body.encode("utf-8")
        stamp = str(int(time.time()))
        request = urllib.request.Request(  # noqa: S310 (the scheme is checked above)
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "X-Qoldau-Timestamp": stamp,
                "X-Qoldau-Signature": "sha256=" + sign(configured[0], stamp, body),
                "Idempotency-Key": envelope.message_id,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                response.read(1024)
        except urllib.error.HTTPError as exc:
            if 400 <= exc.code < 500 and exc.code not in (408, 429):
                raise PermanentDeliveryError(f"PBX answered {exc.code}", code=exc.code) from exc
            raise TemporaryDeliveryError(f"PBX answered {exc.code}", code=exc.code) from exc
        except (urllib.error.URLError, OSError) as exc:
            raise TemporaryDeliveryError(f"PBX unreachable: {exc}") from exc

    def close(self) -> None:
        return None


def control_register_transport() -> None:
    if control_mode() == "webhook":
        outbox_register_transport(CHANNEL, WebhookControlTransport)
