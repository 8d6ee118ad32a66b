"""``qoldau mail import-eml``: raw messages from files, folders or Maildirs through the same
store-and-process path as fetched mail (R9: for recovery and for tests).

Imported messages belong to a synthetic "import" mailbox; a message whose content is already
stored anywhere (the same Message-ID and SHA-256, line endings aside) is a duplicate and is not
stored again, so importing a backup of a mailbox twice, or after the poller read it, is harmless.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from qoldau.mail import parsing
from qoldau.mail.enums import MailboxKind
from qoldau.mail.models import InboundMessage, Mailbox
from qoldau.mail.services import inbound_store, mail_acknowledge_on_server, mail_process

IMPORT_MAILBOX = "import"
IMPORT_UIDVALIDITY = 1


def mailbox_import_get() -> Mailbox:
    """The synthetic mailbox that holds imported files (created on first use)."""
    mailbox, _created = Mailbox.objects.get_or_create(
        name=IMPORT_MAILBOX,
        defaults={"kind": MailboxKind.IMPORT, "is_active": False, "host": "", "folder": ""},
    )
    return mailbox


# --- import -------------------------------------------------------------------------------------
@dataclass
class ImportReport:
    new: int = 0
    duplicates: int = 0
    malformed: int = 0
    unreadable: int = 0
    failed: int = 0
    message_ids: list[int] = field(default_factory=list)


def mail_import_raw(*, raw: bytes, report: ImportReport | None = None) -> ImportReport:
    """Store and process one raw message through the same path as fetched mail; content that is
    already stored anywhere (Message-ID and SHA-256 alike) is counted as a duplicate."""
    report = report or ImportReport()
    digest = parsing.content_sha256(raw)
    if InboundMessage.objects.filter(sha256=digest).exists():
        report.duplicates += 1
        return report
    mailbox = mailbox_import_get()
    with transaction.atomic(durable=True):
        box = Mailbox.objects.select_for_update().get(pk=mailbox.pk)
        uid = box.sync_last_uid + 1
        box.sync_uidvalidity, box.sync_last_uid = IMPORT_UIDVALIDITY, uid
        box.save(update_fields=["sync_uidvalidity", "sync_last_uid", "updated_at"])
    outcome, row_id = inbound_store(mailbox=box, uidvalidity=IMPORT_UIDVALIDITY, uid=uid, raw=raw)
    if outcome != "stored":
        report.duplicates += 1
        return report
    report.new += 1
    report.message_ids.append(row_id)
    try:
        mail_process(message_id=row_id)
        mail_acknowledge_on_server(message_id=row_id)
    except Exception:
        report.failed += 1  # stored; the periodic poll processes it again after a backoff
        return report
    if InboundMessage.objects.filter(pk=row_id, is_malformed=True).exists():
        report.malformed += 1
    return report


_SKIP_FILES = ("dovecot", ".qoldau-uidlist", "maildirfolder", "subscriptions", "courier")


def _message_files(path: Path) -> Iterator[Path]:
    if path.is_file():
        yield path
        return
    if not path.is_dir():
        return
    if (path / "cur").is_dir() and (path / "new").is_dir():
        for sub in ("cur", "new"):
            yield from sorted(p for p in (path / sub).iterdir() if p.is_file())
        return
    for child in sorted(path.iterdir()):
        if child.name.startswith(".") and not (child / "cur").is_dir():
            continue
        if child.is_file() and child.name.startswith(_SKIP_FILES):
            continue
        if child.name == "tmp" and child.is_dir():
            continue
        yield from _message_files(child)


def mail_import_paths(*, paths: Iterable[str | os.PathLike[str]]) -> ImportReport:
    """``qoldau mail import-eml``: files, folders of files, or Maildirs (cur/ and new/)."""
    report = ImportReport()
    for path in paths:
        target = Path(path)
        if not target.exists():
            report.unreadable += 1
            continue
        for file in _message_files(target):
            try:
                raw = file.read_bytes()
            except OSError:
                report.unreadable += 1
                continue
            mail_import_raw(raw=raw, report=report)
    return report
