# ruff: noqa: E402  (Django is set up before the product's modules are imported)
"""The crash test of issue 4 with the real appeals handler: a worker polls a real Dovecot,
processes each message through ``qoldau.appeals`` (subscribed to "mail.inbound_received"), marks
it on the server and delivers the acknowledgements to a real SMTP peer (aiosmtpd). It is killed
with SIGKILL at random points several times and restarted. At the end there are exactly N e-mail
appeals, none twice, every message is \\Seen and none deleted on the server, and every
acknowledgement reached the peer at least once under one stable Message-ID per appeal.

The worker is this module run as ``python -m tests.test_mail_to_appeals_crash setup|run|check``
on a database of its own: a SQLite file, or, when the tests run on PostgreSQL (DATABASE_URL), a
scratch PostgreSQL database created and dropped by the test.
"""

from __future__ import annotations

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

import email
import json
import random
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

from aiosmtpd.controller import Controller
from django.conf import settings
from imapclient import IMAPClient  # type: ignore[import-untyped]

from qoldau.mail.tests.conftest import (  # noqa: F401 (dovecot: the fixture)
    DovecotServer,
    SmtpPeer,
    dovecot,
    free_port,
    make_mail,
)
from qoldau.mail.tests.crash_driver import run_with_kills
from tests.scratch import scratch_database

MESSAGES = 20
ROUNDS = int(os.environ.get("QOLDAU_CRASH_ROUNDS", "8"))
ACK = "appeals.acknowledgement"


# --- the worker (runs in its own process) ---------------------------------------------------
def _worker_settings() -> None:
    settings.QOLDAU_SMTP_HOST = "127.0.0.1"
    settings.QOLDAU_SMTP_PORT = int(os.environ.get("CRASH_SMTP_PORT", "25"))
    settings.QOLDAU_SMTP_SECURITY = "none"
    settings.QOLDAU_SMTP_USER = ""
    settings.QOLDAU_MAIL_TRANSPORT = "qoldau.mail.adapters.smtp.SmtpTransport"
    settings.QOLDAU_OUTBOX_BACKOFF_SECONDS = 0  # retry at once: the test has no time to wait
    settings.QOLDAU_OUTBOX_LEASE_SECONDS = 1  # a delivery cut by a kill is taken over at once


def worker_setup() -> None:
    from qoldau.mail.enums import MailboxKind, Security
    from qoldau.mail.models import Mailbox

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
            "default_language": "kk",
        },
    )


def worker_run() -> None:
    """Small steps of every kind interleaved, so a kill can land in any of them: fetching,
    processing (the appeals handler), marking on the server, delivering; then the periodic poll."""
    from qoldau.core.models import OutboxMessage, OutboxStatus
    from qoldau.core.outbox import outbox_deliver_due
    from qoldau.mail import selectors, services
    from qoldau.mail.models import Mailbox

    _worker_settings()
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
            status__in=[OutboxStatus.PENDING, OutboxStatus.SENDING]
        ).exists()
        idle = 0 if busy else idle + 1
        if unsent:
            idle = 0
            time.sleep(0.2)  # a delivery cut by a kill waits for its lease to run out


def worker_check() -> None:
    from qoldau.appeals.models import Appeal, AppealMessage, Notification
    from qoldau.core.models import OutboxMessage
    from qoldau.mail.models import InboundMessage

    originals = InboundMessage.objects.filter(duplicate_of__isnull=True)
    links = AppealMessage.objects.values_list("inbound_message_id", "appeal_id", "created_appeal")
    acks = Notification.objects.filter(code="acknowledgement")
    outbox = {o.idempotency_key: o for o in OutboxMessage.objects.filter(category=ACK)}
    print(
        json.dumps(
            {
                "messages": originals.count(),
                "statuses": sorted(set(InboundMessage.objects.values_list("status", flat=True))),
                "appeals": [
                    [str(a.pk), a.channel] for a in Appeal.objects.order_by("pk").only("channel")
                ],
                "links": [[str(i), str(a), bool(c)] for i, a, c in links],
                "inbound": [str(pk) for pk in originals.values_list("pk", flat=True)],
                "acks": [
                    [
                        str(n.appeal_id),
                        n.outbox_message_id,
                        outbox[n.outbox_key].message_id if n.outbox_key in outbox else None,
                        outbox[n.outbox_key].status if n.outbox_key in outbox else None,
                    ]
                    for n in acks
                ],
                "ack_rows": len(outbox),
            }
        ),
        flush=True,
    )


# --- the test ----------------------------------------------------------------------------------


def test_sigkill_while_mail_becomes_appeals_loses_nothing_and_repeats_nothing(
    dovecot: DovecotServer,  # noqa: F811 (the fixture imported above)
    tmp_path: Path,
) -> None:
    rng = random.Random(1414)
    folder = f"A{uuid.uuid4().hex[:10]}"
    with IMAPClient(dovecot.host, port=dovecot.port, ssl=False, timeout=10) as client:
        client.login(dovecot.user, dovecot.password)
        client.create_folder(folder)
        for n in range(MESSAGES):
            subject = f"Өтініш {n}" if n % 2 else f"Обращение {n}"
            client.append(folder, make_mail(subject=subject, sender=f"c{n}@example.kz"))
    peer = SmtpPeer(port=free_port(), defer=3)
    controller = Controller(peer, hostname=peer.host, port=peer.port)
    controller.start()
    try:
        with scratch_database(tmp_path, "qoldau_crash_appeals") as database:
            env = {
                **os.environ,
                "QOLDAU_ENV": "test",
                "QOLDAU_VAR_DIR": str(tmp_path / "var"),
                "DATABASE_URL": database,
                "CRASH_IMAP_PORT": str(dovecot.port),
                "CRASH_IMAP_USER": dovecot.user,
                "CRASH_IMAP_PASSWORD": dovecot.password,
                "CRASH_IMAP_FOLDER": folder,
                "CRASH_SMTP_PORT": str(peer.port),
            }
            result = run_with_kills(
                module="tests.test_mail_to_appeals_crash",
                env=env,
                rounds=ROUNDS,
                rng=rng,
                max_pause=0.5,
            )
    finally:
        controller.stop()

    assert result["messages"] == MESSAGES
    assert result["statuses"] == ["acknowledged"]
    # Exactly N appeals, all by e-mail, each opened by one message, no message handled twice.
    appeals = result["appeals"]
    assert len(appeals) == MESSAGES
    assert {channel for _pk, channel in appeals} == {"email"}
    links = result["links"]
    assert sorted(inbound for inbound, _a, _c in links) == sorted(result["inbound"])
    assert Counter(appeal for _i, appeal, created in links if created) == Counter(
        {pk: 1 for pk, _channel in appeals}
    )
    # One acknowledgement per appeal, queued once, sent, under one stable Message-ID ...
    acks = result["acks"]
    assert sorted(appeal for appeal, *_rest in acks) == sorted(pk for pk, _c in appeals)
    assert result["ack_rows"] == MESSAGES
    assert all(stored == queued and status == "sent" for _a, stored, queued, status in acks)
    ack_ids = {stored for _a, stored, _q, _s in acks}
    assert len(ack_ids) == MESSAGES
    # ... which reached the SMTP peer at least once each, and nothing else did.
    delivered = [email.message_from_bytes(raw)["Message-ID"] for raw in peer.received]
    assert set(delivered) == ack_ids
    # Nothing was deleted on the server and every message there is marked read.
    with IMAPClient(dovecot.host, port=dovecot.port, ssl=False, timeout=10) as client:
        client.login(dovecot.user, dovecot.password)
        client.select_folder(folder, readonly=True)
        assert len(client.search(["ALL"])) == MESSAGES
        assert client.search(["UNSEEN"]) == []


if __name__ == "__main__":
    {"setup": worker_setup, "run": worker_run, "check": worker_check}[sys.argv[1]]()
