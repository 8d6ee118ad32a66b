"""The pipeline against a real IMAP server: Debian's Dovecot, started by the session fixture on a
loopback port with a throw-away user (skipped when Dovecot is missing unless
QOLDAU_REQUIRE_DOVECOT=1). Each test reads a folder of its own."""

from __future__ import annotations

import os
import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from imapclient import IMAPClient  # type: ignore[import-untyped]

from qoldau.mail import importing, parsing, services
from qoldau.mail.adapters.imap import ImapMailboxClient
from qoldau.mail.enums import InboundStatus
from qoldau.mail.models import InboundMessage, Mailbox
from qoldau.mail.services import mailbox_settings
from qoldau.mail.tests.conftest import DovecotServer, Recorder, SimulatedCrash, make_mail

pytestmark = pytest.mark.django_db


@contextmanager
def imap(dovecot: DovecotServer, folder: str) -> Iterator[Any]:
    with IMAPClient(dovecot.host, port=dovecot.port, ssl=False, timeout=10) as client:
        client.login(dovecot.user, dovecot.password)
        client.select_folder(folder)
        yield client


def append(dovecot: DovecotServer, folder: str, raw: bytes, flags: tuple[bytes, ...] = ()) -> None:
    with IMAPClient(dovecot.host, port=dovecot.port, ssl=False, timeout=10) as client:
        client.login(dovecot.user, dovecot.password)
        client.append(folder, raw, flags=flags)


def flags_by_subject(dovecot: DovecotServer, folder: str) -> dict[str, set[bytes]]:
    with imap(dovecot, folder) as client:
        uids = client.search(["ALL"])
        data = client.fetch(uids, ["FLAGS", "BODY.PEEK[HEADER.FIELDS (SUBJECT)]"]) if uids else {}
    result = {}
    for item in data.values():
        header = item[b"BODY[HEADER.FIELDS (SUBJECT)]"].decode().strip()
        result[header.removeprefix("Subject: ")] = set(item[b"FLAGS"]) - {b"\\Recent"}
    return result


def _log_since(dovecot: DovecotServer, start: int, *, until: str) -> str:
    """Dovecot's log from ``start``, once it shows ``until`` (its log process writes late)."""
    deadline = time.monotonic() + 10
    while True:
        with dovecot.log.open() as log:
            log.seek(start)
            text = log.read()
        if until in text or time.monotonic() > deadline:
            assert until in text, text
            return text
        time.sleep(0.05)


def test_fetch_process_and_mark_seen_on_a_real_server(
    imap_mailbox: Mailbox, dovecot: DovecotServer, recorder: Recorder
) -> None:
    folder = imap_mailbox.folder
    for n in range(3):
        append(dovecot, folder, make_mail(subject=f"Message {n}"))
    report = services.mail_poll(mailbox_id=imap_mailbox.pk)
    assert report.error == ""
    assert report.fetched is not None
    assert (report.fetched.stored, report.processed, report.acknowledged) == (3, 3, 3)
    assert flags_by_subject(dovecot, folder) == {f"Message {n}": {b"\\Seen"} for n in range(3)}
    messages = InboundMessage.objects.order_by("uid")
    assert [m.status for m in messages] == [InboundStatus.ACKNOWLEDGED] * 3
    assert recorder.effects() == {m.pk: 1 for m in messages}
    first = messages.first()
    assert first is not None
    assert first.subject == "Message 0"
    assert first.language == "kk"


def test_rerunning_does_nothing_and_nothing_is_ever_deleted(
    imap_mailbox: Mailbox, dovecot: DovecotServer, recorder: Recorder
) -> None:
    folder = imap_mailbox.folder
    log_start = dovecot.log.stat().st_size
    for n in range(2):
        append(dovecot, folder, make_mail(subject=f"Keep {n}"))
    services.mail_poll(mailbox_id=imap_mailbox.pk)
    again = services.mail_poll(mailbox_id=imap_mailbox.pk)
    assert again.fetched is not None
    assert (again.fetched.listed, again.processed, again.acknowledged) == (0, 0, 0)
    assert len(recorder.calls) == 2
    with imap(dovecot, folder) as client:
        assert len(client.search(["ALL"])) == 2
        assert client.search(["DELETED"]) == []
    # Dovecot logs what each session deleted and expunged: never anything.
    sessions = _log_since(dovecot, log_start, until="Logged out")
    assert re.search(r"(deleted|expunged)=[1-9]", sessions) is None


def test_fetching_alone_leaves_mail_unread(
    imap_mailbox: Mailbox, dovecot: DovecotServer, recorder: Recorder
) -> None:
    append(dovecot, imap_mailbox.folder, make_mail(subject="Peek"))
    assert services.mail_fetch(mailbox_id=imap_mailbox.pk).stored == 1
    assert flags_by_subject(dovecot, imap_mailbox.folder) == {"Peek": set()}


def test_a_crash_between_store_and_process_then_a_rerun_processes_once(
    imap_mailbox: Mailbox, dovecot: DovecotServer, recorder: Recorder
) -> None:
    folder = imap_mailbox.folder
    for n in range(3):
        append(dovecot, folder, make_mail(subject=f"Crash {n}"))
    services.mail_fetch(mailbox_id=imap_mailbox.pk)  # the worker is killed after storing
    assert recorder.calls == []
    assert all(not flags for flags in flags_by_subject(dovecot, folder).values())
    recorder.crash_next = 1  # and killed once more inside the first processing transaction
    with pytest.raises(SimulatedCrash):
        services.mail_poll(mailbox_id=imap_mailbox.pk)
    services.mail_poll(mailbox_id=imap_mailbox.pk)
    services.mail_poll(mailbox_id=imap_mailbox.pk)
    ids = list(InboundMessage.objects.values_list("pk", flat=True))
    assert len(ids) == 3
    assert recorder.effects() == dict.fromkeys(ids, 1)
    assert all(f == {b"\\Seen"} for f in flags_by_subject(dovecot, folder).values())


def test_mail_delivered_into_the_maildir_is_read(
    imap_mailbox: Mailbox, dovecot: DovecotServer, recorder: Recorder
) -> None:
    """As an MTA delivers: a file written into the folder's Maildir new/ (LF line endings)."""
    # Dovecot's Maildir++ layout: a folder "X" lives in ~/Maildir/.X
    target = dovecot.maildir / f".{imap_mailbox.folder}" / "new"
    raw = make_mail(subject="Delivered by the MTA")
    path = target / f"{int(time.time())}.{uuid.uuid4().hex}.test"
    path.write_bytes(raw)
    if os.geteuid() == 0:
        os.chown(path, dovecot.uid, dovecot.gid)
    services.mail_poll(mailbox_id=imap_mailbox.pk)
    message = InboundMessage.objects.get()
    assert message.subject == "Delivered by the MTA"
    assert message.sha256 == parsing.content_sha256(raw)
    assert message.status == InboundStatus.ACKNOWLEDGED
    # The same file imported from a backup is recognised as already there.
    report = importing.mail_import_raw(raw=raw)
    assert (report.new, report.duplicates) == (0, 1)


def test_moving_to_a_processed_folder(
    imap_mailbox: Mailbox, dovecot: DovecotServer, recorder: Recorder
) -> None:
    imap_mailbox.processed_folder = f"{imap_mailbox.folder}-done"
    imap_mailbox.save()
    append(dovecot, imap_mailbox.folder, make_mail(subject="Move me"))
    services.mail_poll(mailbox_id=imap_mailbox.pk)
    assert flags_by_subject(dovecot, imap_mailbox.folder) == {}
    assert flags_by_subject(dovecot, imap_mailbox.processed_folder) == {"Move me": {b"\\Seen"}}
    # A repeated move (a crash after the server moved it, before we recorded it) is harmless.
    message = InboundMessage.objects.get()
    client = ImapMailboxClient(mailbox_settings(imap_mailbox))
    client.open()
    try:
        client.mark_processed(message.uid)
    finally:
        client.close()
    assert flags_by_subject(dovecot, imap_mailbox.processed_folder) == {"Move me": {b"\\Seen"}}


def test_a_uidvalidity_change_on_the_server_registers_nothing_twice(
    imap_mailbox: Mailbox, dovecot: DovecotServer, recorder: Recorder
) -> None:
    folder = imap_mailbox.folder
    first = [make_mail(subject=f"Before {n}") for n in range(2)]
    for raw in first:
        append(dovecot, folder, raw)
    services.mail_poll(mailbox_id=imap_mailbox.pk)
    pending = make_mail(subject="Stored, not processed")
    append(dovecot, folder, pending)
    services.mail_fetch(mailbox_id=imap_mailbox.pk)
    old_validity = InboundMessage.objects.first().uidvalidity  # type: ignore[union-attr]
    # The folder is rebuilt (a migration to another server): deleted, created again, and the
    # same messages put back unread, so every one of them comes in again under new UIDs.
    with IMAPClient(dovecot.host, port=dovecot.port, ssl=False, timeout=10) as client:
        client.login(dovecot.user, dovecot.password)
        client.delete_folder(folder)
        client.create_folder(folder)
        for raw in [*first, pending, make_mail(subject="After")]:
            client.append(folder, raw)
        new_validity = client.select_folder(folder)[b"UIDVALIDITY"]
    assert new_validity != old_validity
    report = services.mail_poll(mailbox_id=imap_mailbox.pk)
    assert report.fetched is not None
    assert report.fetched.new_key_space
    assert (report.fetched.stored, report.fetched.duplicates) == (1, 3)
    originals = InboundMessage.objects.filter(duplicate_of__isnull=True)
    assert originals.count() == 4
    assert recorder.effects() == {m.pk: 1 for m in originals}
    assert all(f == {b"\\Seen"} for f in flags_by_subject(dovecot, folder).values())
    assert set(InboundMessage.objects.values_list("status", flat=True)) == {
        InboundStatus.ACKNOWLEDGED
    }


def test_a_wrong_password_is_reported(
    imap_mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(imap_mailbox.password_env, "wrong")
    report = services.mail_poll(mailbox_id=imap_mailbox.pk)
    assert report.error
    assert InboundMessage.objects.count() == 0
