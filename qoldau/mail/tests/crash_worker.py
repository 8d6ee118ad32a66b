# ruff: noqa: E402  (Django is set up before the product's modules are imported)
"""A worker process for the SIGKILL test (test_crash_sigkill.py), run as
``python -m qoldau.mail.tests.crash_worker setup|run|check`` with its own database.

It stands in for the product's worker with the appeals app's part played by a subscriber that
does what the appeals app will do in the processing transaction: record an effect (a row with a
fresh key each time, so a second committed run would show as a second row) and queue the
acknowledgement through ``mail_auto_reply_enqueue`` (idempotent per message).
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
import uuid
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.conf import settings

from qoldau.core import events
from qoldau.core.models import OutboxMessage, OutboxStatus
from qoldau.core.outbox import (
    Envelope,
    outbox_deliver_due,
    outbox_enqueue,
    outbox_register_transport,
)
from qoldau.mail import selectors, services
from qoldau.mail.enums import InboundStatus, MailboxKind, Security
from qoldau.mail.models import InboundMessage, Mailbox

EFFECT = "crash.effect"
ACK = "mail.auto_reply"

settings.QOLDAU_SMTP_HOST = "127.0.0.1"
settings.QOLDAU_SMTP_PORT = int(os.environ.get("CRASH_SMTP_PORT", "25"))
settings.QOLDAU_SMTP_SECURITY = "none"
settings.QOLDAU_MAIL_TRANSPORT = "qoldau.mail.adapters.smtp.SmtpTransport"
settings.QOLDAU_OUTBOX_BACKOFF_SECONDS = 0  # retry at once: the test has no time to wait
settings.QOLDAU_OUTBOX_LEASE_SECONDS = 1  # a delivery cut by a kill is taken over at once


class Marker:
    def send(self, envelope: Envelope) -> None:
        return None

    def close(self) -> None:
        return None


def on_received(*, message: Any, **_extra: Any) -> None:
    time.sleep(random.uniform(0, 0.005))  # widen the window a kill can hit
    outbox_enqueue(
        channel="marker",
        recipient=message.from_address,
        subject="effect",
        body="",
        idempotency_key=f"effect:{message.pk}:{uuid.uuid4().hex}",
        category=EFFECT,
        related=message,
    )
    services.mail_auto_reply_enqueue(
        message=message,
        subject=f"Өтінішіңіз тіркелді: {message.subject}",
        body="Сіздің өтінішіңіз тіркелді.",
    )


def setup() -> None:
    Mailbox.objects.get_or_create(
        name="crash",
        defaults={
            "address": "info@1414.test",
            "kind": MailboxKind.IMAP,
            "host": "127.0.0.1",
            "port": int(os.environ["CRASH_IMAP_PORT"]),
            "security": Security.NONE,
            "username": os.environ["CRASH_IMAP_USER"],
            "password_env": "CRASH_IMAP_PASSWORD",
            "folder": os.environ["CRASH_IMAP_FOLDER"],
        },
    )


def run() -> None:
    """Small steps of every kind interleaved, so a kill can land in any of them: fetching,
    processing, marking on the server, delivering; then the periodic poll when all is quiet."""
    events._handlers[services.EVENT_INBOUND_RECEIVED] = [on_received]
    outbox_register_transport("marker", Marker)
    mailbox = Mailbox.objects.get(name="crash")
    print("ready", flush=True)
    idle = 0
    while idle < 3:
        fetched = services.mail_fetch(mailbox_id=mailbox.pk).stored
        processed = 0
        for message_id in selectors.inbound_ids_to_process(limit=3):
            services.mail_process(message_id=message_id)
            processed += 1
        marked = 0
        for message_id in selectors.inbound_ids_to_acknowledge(mailbox_id=mailbox.pk, limit=3):
            marked += int(services.mail_acknowledge_on_server(message_id=message_id))
        delivered = outbox_deliver_due(limit=3).claimed
        if fetched or processed or marked or delivered:
            idle = 0
            continue
        reports = services.mail_poll_all()
        busy = any(r.processed or r.acknowledged for r in reports)
        unsent = OutboxMessage.objects.filter(
            category=ACK, status__in=[OutboxStatus.PENDING, OutboxStatus.SENDING]
        ).exists()
        idle = 0 if busy else idle + 1
        if unsent:
            idle = 0
            time.sleep(0.2)  # a delivery cut by a kill waits for its lease to run out


def check() -> None:
    effects: dict[str, int] = {}
    for related_id in OutboxMessage.objects.filter(category=EFFECT).values_list(
        "related_id", flat=True
    ):
        effects[related_id] = effects.get(related_id, 0) + 1
    originals = InboundMessage.objects.filter(duplicate_of__isnull=True)
    acks = OutboxMessage.objects.filter(category=ACK)
    print(
        json.dumps(
            {
                "messages": originals.count(),
                "rows": InboundMessage.objects.count(),
                "statuses": sorted(set(InboundMessage.objects.values_list("status", flat=True))),
                "acknowledged": InboundStatus.ACKNOWLEDGED,
                "effects": effects,
                "message_pks": [str(pk) for pk in originals.values_list("pk", flat=True)],
                "acks": {a.related_id: [a.message_id, a.status, a.attempts] for a in acks},
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    {"setup": setup, "run": run, "check": check}[sys.argv[1]]()
