"""An in-process mail server for tests and demonstrations (``MailboxClient``).

Folders are keyed by (mailbox name, folder name) in the module's ``memory_server``. Tests deliver
messages with ``memory_server.deliver(...)``, renumber a folder to simulate a UIDVALIDITY change,
and read back flags; nothing here ever deletes a message except a MOVE to the processed folder.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field

from qoldau.core.outbox import Envelope
from qoldau.mail.adapters.smtp import build_email
from qoldau.mail.ports import FolderState, MailboxSettings, MailboxUnavailable

SEEN = "\\Seen"


@dataclass
class MemoryMessage:
    raw: bytes
    flags: set[str] = field(default_factory=set)


@dataclass
class MemoryFolder:
    uidvalidity: int
    next_uid: int = 1
    messages: dict[int, MemoryMessage] = field(default_factory=dict)


class MemoryServer:
    """Thread-safe; ``unavailable`` makes every ``open`` fail (a server that is down)."""

    _validity = itertools.count(1000)

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.folders: dict[tuple[str, str], MemoryFolder] = {}
        self.unavailable = False
        self.fetches = 0

    def reset(self) -> None:
        with self._lock:
            self.folders.clear()
            self.unavailable = False
            self.fetches = 0

    def folder(self, mailbox: str, folder: str = "INBOX") -> MemoryFolder:
        with self._lock:
            return self._folder(mailbox, folder)

    def _folder(self, mailbox: str, folder: str) -> MemoryFolder:
        key = (mailbox, folder)
        if key not in self.folders:
            self.folders[key] = MemoryFolder(uidvalidity=next(self._validity))
        return self.folders[key]

    def deliver(
        self, mailbox: str, raw: bytes, *, folder: str = "INBOX", flags: set[str] | None = None
    ) -> int:
        with self._lock:
            box = self._folder(mailbox, folder)
            uid = box.next_uid
            box.next_uid += 1
            box.messages[uid] = MemoryMessage(raw=raw, flags=set(flags or ()))
            return uid

    def renumber(self, mailbox: str, folder: str = "INBOX", *, keep_flags: bool = True) -> int:
        """A new UIDVALIDITY with every message renumbered (a server migration or rebuild)."""
        with self._lock:
            old = self._folder(mailbox, folder)
            new = MemoryFolder(uidvalidity=next(self._validity))
            for _uid, message in sorted(old.messages.items()):
                flags = set(message.flags) if keep_flags else set()
                new.messages[new.next_uid] = MemoryMessage(raw=message.raw, flags=flags)
                new.next_uid += 1
            self.folders[(mailbox, folder)] = new
            return new.uidvalidity

    def move(self, mailbox: str, source: str, uid: int, target: str) -> None:
        with self._lock:
            box = self._folder(mailbox, source)
            message = box.messages.pop(uid, None)
            if message is None:
                return
            destination = self._folder(mailbox, target)
            destination.messages[destination.next_uid] = message
            destination.next_uid += 1


memory_server = MemoryServer()


class MemoryMailboxClient:
    def __init__(self, mailbox: MailboxSettings, server: MemoryServer | None = None) -> None:
        self.mailbox = mailbox
        self.server = server or memory_server
        self._open = False

    def open(self) -> FolderState:
        if self.server.unavailable:
            raise MailboxUnavailable("the in-memory server is marked unavailable")
        self.mailbox.password()  # the same check as a real server: the variable must be set
        box = self.server.folder(self.mailbox.name, self.mailbox.folder)
        self._open = True
        return FolderState(uidvalidity=box.uidvalidity, uidnext=box.next_uid)

    def _box(self) -> MemoryFolder:
        if not self._open:
            raise MailboxUnavailable("the mailbox is not open")
        return self.server.folder(self.mailbox.name, self.mailbox.folder)

    def uids_above(self, uid: int) -> list[int]:
        return sorted(u for u in self._box().messages if u > uid)

    def unseen_uids(self) -> list[int]:
        return sorted(u for u, m in self._box().messages.items() if SEEN not in m.flags)

    def fetch(self, uid: int) -> bytes | None:
        message = self._box().messages.get(uid)
        self.server.fetches += 1
        return None if message is None else message.raw

    def mark_processed(self, uid: int) -> None:
        message = self._box().messages.get(uid)
        if message is None:
            return
        message.flags.add(SEEN)
        if self.mailbox.processed_folder:
            self.server.move(
                self.mailbox.name, self.mailbox.folder, uid, self.mailbox.processed_folder
            )

    def close(self) -> None:
        self._open = False


class MemoryTransport:
    """Outgoing mail kept in ``sent`` (a module-level list) instead of sent: tests read it."""

    sent: list[Envelope] = []

    def send(self, envelope: Envelope) -> None:
        build_email(envelope)  # the same checks as the SMTP transport
        MemoryTransport.sent.append(envelope)

    def close(self) -> None:
        return None
