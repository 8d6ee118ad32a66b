"""The crash test of issue 4 for the mail pipeline: while a worker reads N messages from a real
Dovecot and sends acknowledgements to a real SMTP peer, it is killed with SIGKILL at random
points many times and restarted. At the end every message is registered exactly once, marked on
the server, and its acknowledgement went out at least once, always with the same Message-ID.

The worker (crash_worker.py) runs in its own processes on its own SQLite file, so nothing here
shares the test database; the appeals app's part is played by a subscriber (see there).
"""

from __future__ import annotations

import email
import os
import random
import uuid
from pathlib import Path

from aiosmtpd.controller import Controller
from imapclient import IMAPClient  # type: ignore[import-untyped]

from qoldau.mail.tests.conftest import DovecotServer, SmtpPeer, free_port, make_mail
from qoldau.mail.tests.crash_driver import run_with_kills

MESSAGES = 25
ROUNDS = int(os.environ.get("QOLDAU_CRASH_ROUNDS", "10"))


def test_sigkill_at_random_points_loses_nothing_and_repeats_nothing(
    dovecot: DovecotServer, tmp_path: Path
) -> None:
    rng = random.Random(2016)
    folder = f"K{uuid.uuid4().hex[:10]}"
    with IMAPClient(dovecot.host, port=dovecot.port, ssl=False, timeout=10) as client:
        client.login(dovecot.user, dovecot.password)
        client.create_folder(folder)
        for n in range(MESSAGES):
            client.append(folder, make_mail(subject=f"Өтініш {n}", sender=f"c{n}@example.kz"))
    peer = SmtpPeer(port=free_port(), defer=3)
    controller = Controller(peer, hostname=peer.host, port=peer.port)
    controller.start()
    env = {
        **os.environ,
        "QOLDAU_ENV": "test",
        "QOLDAU_VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'crash.sqlite3'}",
        "CRASH_IMAP_PORT": str(dovecot.port),
        "CRASH_IMAP_USER": dovecot.user,
        "CRASH_IMAP_PASSWORD": dovecot.password,
        "CRASH_IMAP_FOLDER": folder,
        "CRASH_SMTP_PORT": str(peer.port),
    }
    try:
        result = run_with_kills(
            module="qoldau.mail.tests.crash_worker", env=env, rounds=ROUNDS, rng=rng, max_pause=0.4
        )
    finally:
        controller.stop()

    assert result["messages"] == MESSAGES
    assert result["statuses"] == [result["acknowledged"]]
    # Registered exactly once: one committed effect per message, none for duplicates.
    assert result["effects"] == dict.fromkeys(result["message_pks"], 1)
    # Acknowledged at least once each, always under the Message-ID queued with it.
    acks = result["acks"]
    assert sorted(acks) == sorted(result["message_pks"])
    assert {status for _mid, status, _attempts in acks.values()} == {"sent"}
    ack_ids = {mid for mid, _status, _attempts in acks.values()}
    delivered = [email.message_from_bytes(raw)["Message-ID"] for raw in peer.received]
    assert set(delivered) == ack_ids
    # Nothing was deleted on the server and every message there is marked read.
    with IMAPClient(dovecot.host, port=dovecot.port, ssl=False, timeout=10) as client:
        client.login(dovecot.user, dovecot.password)
        client.select_folder(folder, readonly=True)
        assert len(client.search(["ALL"])) == MESSAGES
        assert client.search(["UNSEEN"]) == []
