"""The Maildir adapter (the demo's mailbox) and ``qoldau mail import-eml``."""

from __future__ import annotations

import os
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from qoldau.mail import importing, services
from qoldau.mail.adapters.maildir import UIDLIST, MaildirMailboxClient, ensure_maildir
from qoldau.mail.enums import InboundStatus, MailboxKind
from qoldau.mail.models import InboundMessage, Mailbox
from qoldau.mail.ports import MailboxSettings
from qoldau.mail.tests.conftest import Recorder, make_mail

pytestmark = pytest.mark.django_db


def _drop(maildir: Path, raw: bytes, name: str, sub: str = "new") -> Path:
    path = maildir / sub / name
    path.write_bytes(raw)
    return path


@pytest.fixture
def maildir(tmp_path: Path) -> Path:
    root = tmp_path / "inbox"
    ensure_maildir(root)
    return root


@pytest.fixture
def maildir_mailbox(maildir: Path) -> Mailbox:
    return Mailbox.objects.create(
        name="demo", address="demo@1414.test", kind=MailboxKind.MAILDIR, maildir_path=str(maildir)
    )


def test_a_maildir_mailbox_goes_through_the_whole_pipeline(
    maildir: Path, maildir_mailbox: Mailbox, recorder: Recorder
) -> None:
    _drop(maildir, make_mail(subject="One"), "1700000001.a.host")
    _drop(maildir, make_mail(subject="Two"), "1700000002.b.host:2,", sub="cur")
    report = services.mail_poll(mailbox_id=maildir_mailbox.pk)
    assert report.error == ""
    assert (report.processed, report.acknowledged) == (2, 2)
    assert sorted(p.name for p in (maildir / "cur").iterdir()) == [
        "1700000001.a.host:2,S",
        "1700000002.b.host:2,S",
    ]
    assert list((maildir / "new").iterdir()) == []
    assert len(recorder.calls) == 2
    # A new message later gets the next UID; the old ones are not read again.
    _drop(maildir, make_mail(subject="Three"), "1700000003.c.host")
    report = services.mail_poll(mailbox_id=maildir_mailbox.pk)
    assert report.fetched is not None
    assert report.fetched.stored == 1
    assert sorted(InboundMessage.objects.values_list("uid", flat=True)) == [1, 2, 3]


def test_the_maildir_client_keeps_uids_and_moves_to_a_processed_folder(maildir: Path) -> None:
    _drop(maildir, make_mail(subject="A"), "1.a.host")
    _drop(maildir, make_mail(subject="B"), "2.b.host:2,S", sub="cur")
    settings = MailboxSettings(
        name="demo", address="", maildir_path=str(maildir), processed_folder="Done"
    )
    client = MaildirMailboxClient(settings)
    state = client.open()
    assert client.uids_above(0) == [1, 2]
    assert client.unseen_uids() == [1]
    raw = client.fetch(1)
    assert raw is not None
    assert b"Subject: A" in raw
    client.mark_processed(1)
    client.mark_processed(1)  # twice is harmless
    assert (maildir / ".Done" / "cur" / "1.a.host:2,S").exists()
    assert client.fetch(1) is None
    client.close()
    again = MaildirMailboxClient(settings)
    assert again.open().uidvalidity == state.uidvalidity
    assert again.uids_above(0) == [2]  # UID 1 moved away; UIDs are never reused
    # A lost UID list starts a new key space.
    (maildir / UIDLIST).unlink()
    assert MaildirMailboxClient(settings).open().uidvalidity >= state.uidvalidity


def test_import_eml_reads_files_folders_and_maildirs_once(
    tmp_path: Path, maildir: Path, recorder: Recorder
) -> None:
    single = tmp_path / "one.eml"
    single.write_bytes(make_mail(subject="File"))
    folder = tmp_path / "folder"
    (folder / "nested").mkdir(parents=True)
    (folder / "a.eml").write_bytes(make_mail(subject="Folder A"))
    (folder / "nested" / "b.eml").write_bytes(make_mail(subject="Folder B"))
    (folder / "copy.eml").write_bytes(single.read_bytes().replace(b"\n", b"\r\n"))  # same, CRLF
    _drop(maildir, make_mail(subject="Maildir new"), "1.x.host")
    _drop(maildir, make_mail(subject="Maildir cur"), "2.y.host:2,S", sub="cur")
    _drop(maildir, b"\x00\xff garbage without headers", "3.z.host")
    (maildir / "dovecot-uidlist").write_text("3 V1 N4\n")  # server files are not messages
    out = StringIO()
    call_command("mail", "import-eml", str(single), str(folder), str(maildir), stdout=out)
    assert out.getvalue().strip() == (
        "6 new, 1 duplicates, 1 malformed, 0 unreadable, 0 to be processed again."
    )
    imported = InboundMessage.objects.filter(mailbox__kind=MailboxKind.IMPORT)
    assert imported.count() == 6
    assert set(imported.values_list("status", flat=True)) == {InboundStatus.ACKNOWLEDGED}
    assert len(recorder.calls) == 6
    out = StringIO()
    call_command("mail", "import-eml", str(single), str(folder), str(maildir), stdout=out)
    assert out.getvalue().startswith("0 new, 7 duplicates")
    assert len(recorder.calls) == 6


def test_import_eml_in_kazakh(tmp_path: Path, recorder: Recorder) -> None:
    (tmp_path / "a.eml").write_bytes(make_mail())
    out = StringIO()
    call_command("mail", "--language", "kk", "import-eml", str(tmp_path), stdout=out)
    assert "жаңа" in out.getvalue()


def test_import_eml_of_a_missing_path_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="No such file or folder"):
        call_command("mail", "import-eml", str(tmp_path / "missing.eml"))


def test_an_import_whose_handler_fails_is_kept_and_processed_later(
    tmp_path: Path, recorder: Recorder
) -> None:
    (tmp_path / "a.eml").write_bytes(make_mail())
    recorder.fail_next = 1
    report = importing.mail_import_paths(paths=[tmp_path])
    assert (report.new, report.failed) == (1, 1)
    message = InboundMessage.objects.get()
    assert message.status == InboundStatus.STORED
    services.inbound_retry_now(message_ids=[message.pk])
    services.mail_poll_all()
    message.refresh_from_db()
    assert message.status == InboundStatus.ACKNOWLEDGED
    assert recorder.effects() == {message.pk: 1}


def test_unreadable_files_are_counted(tmp_path: Path, recorder: Recorder) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads every file")
    path = tmp_path / "secret.eml"
    path.write_bytes(make_mail())
    path.chmod(0)
    assert importing.mail_import_paths(paths=[path]).unreadable == 1


def test_poll_command_reports_per_mailbox(
    maildir: Path, maildir_mailbox: Mailbox, recorder: Recorder
) -> None:
    _drop(maildir, make_mail(), "1.a.host")
    out = StringIO()
    call_command("mail", "poll", "--mailbox", "demo", stdout=out)
    assert out.getvalue().strip() == (
        "demo: 1 stored, 0 duplicates, 1 processed, 0 failed, 1 marked on the server."
    )
    with pytest.raises(CommandError):
        call_command("mail", "poll", "--mailbox", "nope")


def test_the_demo_mailbox_reads_its_letters(
    settings: Any, tmp_path: Path, recorder: Recorder
) -> None:
    settings.VAR_DIR = tmp_path / "var"
    out = StringIO()
    call_command("mail", "demo", stdout=out)
    call_command("mail", "demo", stdout=out)  # twice changes nothing
    assert Mailbox.objects.filter(name="demo").count() == 1
    services.mail_poll_all()
    messages = {m.subject: m for m in InboundMessage.objects.all()}
    assert set(messages) == {"Мекенжай анықтамасы", "Справка о несудимости", "ЭЦҚ мерзімі"}
    assert messages["Справка о несудимости"].language == "ru"
    assert messages["Мекенжай анықтамасы"].language == "kk"
    assert len(recorder.calls) == 3
