"""Maildir adapters: read a Maildir folder as a mailbox (the demo reads var/mail/inbox instead
of a server), and write outgoing mail into a Maildir (the demo's "sent" folder).

A Maildir has no UIDs, so the reader keeps its own list (``.qoldau-uidlist.json``) mapping each
message's unique file name to a UID; the list's ``uidvalidity`` changes if the list is lost, and
the pipeline then treats the folder as a new key space (dedupe by content keeps it safe).
"Seen" is the Maildir ``S`` flag (the file moves from new/ to cur/ with ``:2,S``); a processed
folder is a Maildir++ subfolder (``.Processed``). Files are renamed, never deleted.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from qoldau.core import clock
from qoldau.core.outbox import Envelope
from qoldau.mail.adapters.smtp import build_email
from qoldau.mail.ports import FolderState, MailboxSettings, MailboxUnavailable

UIDLIST = ".qoldau-uidlist.json"
LOCK = ".qoldau-uidlist.lock"
_INFO = re.compile(r"[:!]2,([A-Za-z]*)$")


def _key(name: str) -> str:
    return re.split(r"[:!]2,", name, maxsplit=1)[0]


def _flags(name: str) -> str:
    found = _INFO.search(name)
    return found.group(1) if found else ""


@dataclass
class _UidList:
    uidvalidity: int
    next_uid: int
    uids: dict[str, int] = field(default_factory=dict)


def ensure_maildir(path: Path) -> None:
    for sub in ("cur", "new", "tmp"):
        (path / sub).mkdir(parents=True, exist_ok=True)


class MaildirMailboxClient:
    def __init__(self, mailbox: MailboxSettings) -> None:
        self.mailbox = mailbox
        base = Path(mailbox.maildir_path) if mailbox.maildir_path else None
        folder = mailbox.folder.strip()
        if base is not None and folder and folder.upper() != "INBOX":
            base = base / f".{folder}"
        self.root = base
        self._uids: dict[int, str] = {}
        self._open = False

    # -- the UID list ------------------------------------------------------------------------
    @contextmanager
    def _locked(self) -> Iterator[None]:
        assert self.root is not None
        with (self.root / LOCK).open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _files(self) -> dict[str, Path]:
        assert self.root is not None
        found: dict[str, Path] = {}
        for sub in ("new", "cur"):
            directory = self.root / sub
            if not directory.is_dir():
                continue
            for entry in os.scandir(directory):
                if entry.name.startswith(".") or not entry.is_file():
                    continue
                found[_key(entry.name)] = Path(entry.path)
        return found

    def _load(self) -> _UidList:
        assert self.root is not None
        path = self.root / UIDLIST
        if path.is_file():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                return _UidList(
                    uidvalidity=int(data["uidvalidity"]),
                    next_uid=int(data["next_uid"]),
                    uids={str(k): int(v) for k, v in dict(data["uids"]).items()},
                )
            except (OSError, ValueError, KeyError, TypeError):
                pass  # a damaged list is a lost list: a new UIDVALIDITY, dedupe by content
        return _UidList(uidvalidity=int(clock.now().timestamp()), next_uid=1, uids={})

    def _save(self, state: _UidList) -> None:
        assert self.root is not None
        data = {"uidvalidity": state.uidvalidity, "next_uid": state.next_uid, "uids": state.uids}
        temporary = self.root / f"{UIDLIST}.tmp"
        temporary.write_text(json.dumps(data), encoding="utf-8")
        os.replace(temporary, self.root / UIDLIST)

    # -- MailboxClient -----------------------------------------------------------------------
    def open(self) -> FolderState:
        if self.root is None:
            raise MailboxUnavailable("the mailbox has no Maildir path")
        try:
            ensure_maildir(self.root)
            with self._locked():
                state = self._load()
                files = self._files()
                new_keys = sorted(
                    (k for k in files if k not in state.uids),
                    key=lambda k: (files[k].stat().st_mtime, k),
                )
                for key in new_keys:
                    state.uids[key] = state.next_uid
                    state.next_uid += 1
                # Forget messages moved away; UIDs are never given out again.
                state.uids = {k: v for k, v in state.uids.items() if k in files}
                self._save(state)
        except OSError as exc:
            raise MailboxUnavailable(f"{type(exc).__name__}: {exc}") from exc
        self._uids = {v: k for k, v in state.uids.items()}
        self._open = True
        return FolderState(uidvalidity=state.uidvalidity, uidnext=state.next_uid)

    def _path(self, uid: int) -> Path | None:
        if not self._open:
            raise MailboxUnavailable("the mailbox is not open")
        key = self._uids.get(uid)
        if key is None:
            return None
        return self._files().get(key)

    def uids_above(self, uid: int) -> list[int]:
        return sorted(u for u in self._uids if u > uid)

    def unseen_uids(self) -> list[int]:
        files = self._files()
        unseen = []
        for uid, key in self._uids.items():
            path = files.get(key)
            if path is not None and (path.parent.name == "new" or "S" not in _flags(path.name)):
                unseen.append(uid)
        return sorted(unseen)

    def fetch(self, uid: int) -> bytes | None:
        path = self._path(uid)
        if path is None:
            return None
        try:
            return path.read_bytes()
        except FileNotFoundError:
            return None

    def mark_processed(self, uid: int) -> None:
        assert self.root is not None
        with self._locked():
            path = self._path(uid)
            if path is None:
                return
            key = _key(path.name)
            flags = "".join(sorted(set(_flags(path.name)) | {"S"}))
            if self.mailbox.processed_folder:
                target_dir = self.root / f".{self.mailbox.processed_folder}"
                ensure_maildir(target_dir)
                (target_dir / "maildirfolder").touch()
                os.replace(path, target_dir / "cur" / f"{key}:2,{flags}")
            elif path.parent.name != "cur" or _flags(path.name) != flags:
                os.replace(path, self.root / "cur" / f"{key}:2,{flags}")

    def close(self) -> None:
        self._open = False


class MaildirTransport:
    """Outgoing mail written to a Maildir (``QOLDAU_MAIL_SENT_MAILDIR``) instead of sent: for the
    demo, where there is no SMTP server; open it with any mail program that reads a Maildir."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        default = Path(settings.VAR_DIR) / "mail" / "sent"
        self.root = Path(path or getattr(settings, "QOLDAU_MAIL_SENT_MAILDIR", "") or default)

    def send(self, envelope: Envelope) -> None:
        ensure_maildir(self.root)
        data = build_email(envelope).as_bytes()
        stamp = int(clock.now().timestamp())
        name = f"{stamp}.Q{envelope.outbox_id}A{envelope.attempt}.{socket.gethostname()}"
        temporary = self.root / "tmp" / name
        temporary.write_bytes(data)
        os.replace(temporary, self.root / "new" / name)

    def close(self) -> None:
        return None
