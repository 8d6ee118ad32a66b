"""IMAP adapter (imapclient): the only module that talks to a real mail server.

Fetches with ``BODY.PEEK[]`` so reading does not set \\Seen; marks processed mail with \\Seen or
moves it (MOVE, RFC 6851; else COPY and \\Seen, leaving the original in place). It never sends
EXPUNGE, never sets \\Deleted and never deletes a folder.
"""

from __future__ import annotations

import contextlib
import ssl
from typing import Any

from django.conf import settings
from imapclient import IMAPClient  # type: ignore[import-untyped]
from imapclient.exceptions import IMAPClientError  # type: ignore[import-untyped]

from qoldau.mail.ports import FolderState, MailboxSettings, MailboxUnavailable

SEEN = b"\\Seen"


class ImapMailboxClient:
    def __init__(self, mailbox: MailboxSettings) -> None:
        self.mailbox = mailbox
        self._client: Any = None
        self._processed_folder_ready = False

    # -- connection --------------------------------------------------------------------------
    def open(self) -> FolderState:
        timeout = float(getattr(settings, "QOLDAU_MAIL_IMAP_TIMEOUT", 60))
        context = ssl.create_default_context()
        try:
            client = IMAPClient(
                self.mailbox.host,
                port=self.mailbox.port,
                ssl=self.mailbox.security == "ssl",
                ssl_context=context if self.mailbox.security == "ssl" else None,
                timeout=timeout,
            )
            if self.mailbox.security == "starttls":
                client.starttls(context)
            client.login(self.mailbox.username, self.mailbox.password())
            status = client.select_folder(self.mailbox.folder)
        except (IMAPClientError, OSError, ssl.SSLError) as exc:  # timeouts are OSErrors
            self.close()
            raise MailboxUnavailable(f"{type(exc).__name__}: {exc}") from exc
        self._client = client
        return FolderState(
            uidvalidity=int(status.get(b"UIDVALIDITY", 0)),
            uidnext=int(status.get(b"UIDNEXT", 0) or 0),
        )

    def close(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        try:
            client.logout()
        except Exception:  # a broken connection cannot be closed politely; drop it
            with contextlib.suppress(Exception):
                client.shutdown()

    def _connected(self) -> Any:
        if self._client is None:
            raise MailboxUnavailable("the mailbox is not open")
        return self._client

    # -- reading -----------------------------------------------------------------------------
    def uids_above(self, uid: int) -> list[int]:
        # "UID n:*" always matches the highest UID even when it is below n; filter it out.
        found = self._connected().search(["UID", f"{uid + 1}:*"])
        return sorted(int(u) for u in found if int(u) > uid)

    def unseen_uids(self) -> list[int]:
        return sorted(int(u) for u in self._connected().search(["UNSEEN"]))

    def fetch(self, uid: int) -> bytes | None:
        response = self._connected().fetch([uid], ["BODY.PEEK[]"])
        data = response.get(uid) or {}
        raw = data.get(b"BODY[]")
        if raw is None:
            return None
        return bytes(raw)

    # -- marking -----------------------------------------------------------------------------
    def mark_processed(self, uid: int) -> None:
        client = self._connected()
        target = self.mailbox.processed_folder
        if not target:
            client.add_flags([uid], [SEEN], silent=True)
            return
        if not self._processed_folder_ready:
            if not client.folder_exists(target):
                client.create_folder(target)
            self._processed_folder_ready = True
        if client.has_capability("MOVE"):
            # Set \Seen first so the moved copy arrives read; both steps are idempotent.
            client.add_flags([uid], [SEEN], silent=True)
            client.move([uid], target)
        else:
            # \Seen is set after the copy, so a copy made before a crash is not made again.
            flags = client.get_flags([uid]).get(uid, ())
            if SEEN not in flags:
                client.copy([uid], target)
                client.add_flags([uid], [SEEN], silent=True)
