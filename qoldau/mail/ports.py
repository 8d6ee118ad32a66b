"""The mail server as the mail app sees it (design rule 5: integrations behind ports).

``MailboxClient`` reads one folder of one mailbox. Adapters:
- ``adapters.imap.ImapMailboxClient`` (imapclient): real servers; the default for IMAP mailboxes;
- ``adapters.maildir.MaildirMailboxClient``: a Maildir folder on this computer (the demo);
- ``adapters.memory.MemoryMailboxClient``: an in-process server for tests.
Each mailbox kind maps to an adapter by a dotted path; ``QOLDAU_MAIL_CLIENTS`` overrides the
mapping the way ``EMAIL_BACKEND`` works (tests point "imap" at the memory adapter).

The contract every adapter keeps: fetching never changes a message (IMAP ``BODY.PEEK[]``, so
\\Seen is not set); ``mark_processed`` only adds \\Seen or moves to the processed folder, and
doing it twice is harmless; nothing is ever expunged or deleted.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from qoldau.core.outbox import Transport

DEFAULT_CLIENTS = {
    "imap": "qoldau.mail.adapters.imap.ImapMailboxClient",
    "maildir": "qoldau.mail.adapters.maildir.MaildirMailboxClient",
    "memory": "qoldau.mail.adapters.memory.MemoryMailboxClient",
}


@dataclass(frozen=True)
class MailboxSettings:
    """What an adapter needs to reach a mailbox; the password is read from the environment."""

    name: str
    address: str
    host: str = ""
    port: int = 993
    security: str = "ssl"
    username: str = ""
    password_env: str = ""
    folder: str = "INBOX"
    processed_folder: str = ""
    maildir_path: str = ""

    def password(self) -> str:
        if not self.password_env:
            return ""
        value = os.environ.get(self.password_env)
        if value is None:
            raise MailboxUnavailable(
                f"the environment variable {self.password_env} with the password is not set"
            )
        return value


@dataclass(frozen=True)
class FolderState:
    """The folder as selected: its UIDVALIDITY and the UID the next message will get."""

    uidvalidity: int
    uidnext: int = 0


class MailboxUnavailable(Exception):
    """The server could not be reached, refused the login or has no such folder."""


class MailboxClient(Protocol):
    def open(self) -> FolderState:
        """Connect, log in and select the folder."""
        ...

    def uids_above(self, uid: int) -> list[int]:
        """UIDs greater than ``uid`` in the selected folder, ascending."""
        ...

    def unseen_uids(self) -> list[int]:
        """UIDs without \\Seen, ascending (the first sync of a new UIDVALIDITY)."""
        ...

    def fetch(self, uid: int) -> bytes | None:
        """The raw message, without setting \\Seen; None when it is no longer there."""
        ...

    def mark_processed(self, uid: int) -> None:
        """Add \\Seen, or move to the processed folder; never expunge or delete."""
        ...

    def close(self) -> None: ...


def mailbox_client(kind: str, mailbox: MailboxSettings) -> MailboxClient:
    """The adapter for a mailbox of ``kind``, built from its settings."""
    paths = {**DEFAULT_CLIENTS, **getattr(settings, "QOLDAU_MAIL_CLIENTS", {})}
    path = paths.get(kind)
    if path is None:
        raise MailboxUnavailable(f"no mail adapter for mailboxes of kind {kind!r}")
    client: MailboxClient = import_string(path)(mailbox)
    return client


DEFAULT_TRANSPORT = "qoldau.mail.adapters.smtp.SmtpTransport"


def email_transport() -> Transport:
    """The outbox's transport for the "email" channel, by the dotted path in
    ``QOLDAU_MAIL_TRANSPORT``: SMTP by default; ``adapters.maildir.MaildirTransport`` writes to a
    Maildir for the demo; ``adapters.memory.MemoryTransport`` keeps messages for tests."""
    path = str(getattr(settings, "QOLDAU_MAIL_TRANSPORT", "") or DEFAULT_TRANSPORT)
    transport: Transport = import_string(path)()
    return transport
