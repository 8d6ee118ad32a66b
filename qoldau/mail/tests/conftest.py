"""Fixtures of the mail tests: files under a throw-away MEDIA_ROOT, a recording subscriber to
"mail.inbound_received" (the appeals app is not here yet), the in-memory server with a client
that can crash on demand, a real Dovecot IMAP server and a real SMTP peer (aiosmtpd)."""

from __future__ import annotations

import contextlib
import grp
import logging
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd import smtp as aiosmtp
from aiosmtpd.controller import Controller
from django.test import override_settings

from qoldau.core import events
from qoldau.core.models import OutboxMessage
from qoldau.core.outbox import outbox_enqueue
from qoldau.mail.adapters.memory import MemoryMailboxClient, memory_server
from qoldau.mail.enums import MailboxKind, Security
from qoldau.mail.models import Mailbox
from qoldau.mail.services import EVENT_INBOUND_RECEIVED

EFFECT_CATEGORY = "test.appeal"


class SimulatedCrash(BaseException):
    """Stands for the process being killed: not an ``Exception``, so nothing catches it."""


# --- the subscriber standing in for the appeals app ------------------------------------------
@dataclass
class Recorder:
    """Each call leaves a committed effect (an outbox row, as an acknowledgement would), so a
    rolled-back call leaves none: ``effects()`` counts what really happened per message."""

    calls: list[int] = field(default_factory=list)
    fail_next: int = 0
    crash_next: int = 0
    payloads: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, *, message: Any, **extra: Any) -> None:
        self.calls.append(int(message.pk))
        self.payloads.append({"message": message, **extra})
        outbox_enqueue(
            channel="email",
            recipient=message.from_address or "unknown@example.invalid",
            subject="ack",
            body="ack",
            idempotency_key=f"test:{message.pk}:{uuid.uuid4().hex}",
            category=EFFECT_CATEGORY,
            related=message,
        )
        if self.fail_next:
            self.fail_next -= 1
            raise RuntimeError("the appeals app failed")
        if self.crash_next:
            self.crash_next -= 1
            raise SimulatedCrash

    def effects(self) -> Counter[int]:
        rows = OutboxMessage.objects.filter(category=EFFECT_CATEGORY)
        return Counter(int(pk) for pk in rows.values_list("related_id", flat=True))


@pytest.fixture(autouse=True)
def _no_other_subscribers() -> Iterator[None]:
    """The mail tests see the event contract alone: other apps' subscribers (the appeals app's)
    are set aside for the test and put back after it."""
    saved = list(events._handlers.get(EVENT_INBOUND_RECEIVED, []))
    events._handlers[EVENT_INBOUND_RECEIVED] = []
    try:
        yield
    finally:
        events._handlers[EVENT_INBOUND_RECEIVED] = saved


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    recording = Recorder()
    events.subscribe(EVENT_INBOUND_RECEIVED, recording)
    try:
        yield recording
    finally:
        handlers = events._handlers.get(EVENT_INBOUND_RECEIVED, [])
        if recording in handlers:
            handlers.remove(recording)


@pytest.fixture(autouse=True)
def _media_root(tmp_path: Path, settings: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.QOLDAU_MAIL_FROM = "Qoldau 1414 <noreply@1414.test>"


# --- the in-memory server ----------------------------------------------------------------------
class CrashingClient(MemoryMailboxClient):
    """The memory client, able to "die" before the n-th fetch or right after a mark."""

    crash_on_fetch: int = 0  # crash when this many more fetches have happened (0: never)
    crash_after_mark: int = 0

    def fetch(self, uid: int) -> bytes | None:
        if CrashingClient.crash_on_fetch:
            CrashingClient.crash_on_fetch -= 1
            if CrashingClient.crash_on_fetch == 0:
                raise SimulatedCrash
        return super().fetch(uid)

    def mark_processed(self, uid: int) -> None:
        super().mark_processed(uid)
        if CrashingClient.crash_after_mark:
            CrashingClient.crash_after_mark -= 1
            if CrashingClient.crash_after_mark == 0:
                raise SimulatedCrash


@pytest.fixture
def memory(settings: Any) -> Iterator[Any]:
    memory_server.reset()
    CrashingClient.crash_on_fetch = 0
    CrashingClient.crash_after_mark = 0
    settings.QOLDAU_MAIL_CLIENTS = {"memory": "qoldau.mail.tests.conftest.CrashingClient"}
    yield memory_server
    memory_server.reset()


@pytest.fixture
def mailbox(db: None, memory: Any) -> Mailbox:
    return Mailbox.objects.create(
        name="hotline",
        address="info@1414.test",
        kind=MailboxKind.MEMORY,
        default_language="kk",
    )


def make_mail(
    *,
    subject: str = "Анықтама алу",
    body: str = "Сәлеметсіз бе! Маған мекенжай анықтамасын алу керек. Қалай алуға болады?",
    sender: str = "Айгүл Серікқызы <aigul@example.kz>",
    to: str = "info@1414.test",
    message_id: str | None = None,
    headers: dict[str, str] | None = None,
    charset: str = "utf-8",
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = "Mon, 12 Feb 2024 10:15:00 +0500"
    message["Message-ID"] = message_id or f"<{uuid.uuid4().hex}@example.kz>"
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body, charset=charset)
    return message.as_bytes()


# --- a real Dovecot ------------------------------------------------------------------------------
DOVECOT = "/usr/sbin/dovecot"
IMAP_PASSWORD_ENV = "QOLDAU_TEST_IMAP_PASSWORD"


def free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("Dovecot exited at start:\n" + _tail(log))
        with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
            sock.settimeout(0.2)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError("Dovecot did not open its port:\n" + _tail(log))


def _tail(path: Path) -> str:
    return path.read_text(errors="replace")[-4000:] if path.exists() else "(no log)"


@dataclass(frozen=True)
class DovecotServer:
    host: str
    port: int
    user: str
    password: str
    home: Path
    log: Path
    uid: int
    gid: int

    @property
    def maildir(self) -> Path:
        return self.home / "Maildir"


def _accounts() -> tuple[str, str, str, int, int]:
    """(login user, internal user, internal group, mail uid, mail gid) for this process."""
    if os.geteuid() != 0:
        me = pwd.getpwuid(os.geteuid())
        group = grp.getgrgid(os.getegid()).gr_name
        return me.pw_name, me.pw_name, group, me.pw_uid, me.pw_gid
    nobody = pwd.getpwnam("nobody")
    login = "dovenull" if _user_exists("dovenull") else "nobody"
    internal = "dovecot" if _user_exists("dovecot") else "nobody"
    internal_group = grp.getgrgid(pwd.getpwnam(internal).pw_gid).gr_name
    return login, internal, internal_group, nobody.pw_uid, nobody.pw_gid


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


@pytest.fixture(scope="session")
def dovecot() -> Iterator[DovecotServer]:
    """A throw-away Dovecot on a free loopback port with one user, stopped at the end. As root
    its processes run as dovenull/dovecot and the mail user as nobody; as another user all run
    as that user (no chroot, so both work)."""
    if not os.path.exists(DOVECOT):
        if os.environ.get("QOLDAU_REQUIRE_DOVECOT") == "1":
            pytest.fail(f"{DOVECOT} is missing and QOLDAU_REQUIRE_DOVECOT=1")
        pytest.skip(f"Dovecot is not installed ({DOVECOT}); apt-get install dovecot-imapd")
    base = Path(tempfile.mkdtemp(prefix="qd"))  # short: Dovecot's sockets live under it
    base.chmod(0o755)  # Dovecot's unprivileged processes read the passwd file and homes here
    port = free_port()
    login_user, internal_user, internal_group, uid, gid = _accounts()
    home = base / "home" / "citizen"
    (home / "Maildir").mkdir(parents=True)
    if os.geteuid() == 0:
        for path in (base / "home", home, home / "Maildir"):
            os.chown(path, uid, gid)
    password = uuid.uuid4().hex
    (base / "passwd").write_text(f"citizen:{{PLAIN}}{password}:{uid}:{gid}::{home}::\n")
    log = base / "dovecot.log"
    (base / "dovecot.conf").write_text(
        f"""
base_dir = {base}/run
state_dir = {base}/state
instance_name = qoldau-test-{port}
listen = 127.0.0.1
protocols = imap
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
log_path = {log}
default_internal_user = {internal_user}
default_internal_group = {internal_group}
default_login_user = {login_user}
first_valid_uid = 1
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {base}/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {base}/passwd
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""
    )
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(base / "dovecot.conf")],
        stdout=subprocess.DEVNULL,
        stderr=(base / "stderr.log").open("wb"),
    )
    try:
        _wait_for_port(port, process, log)
        yield DovecotServer(
            host="127.0.0.1",
            port=port,
            user="citizen",
            password=password,
            home=home,
            log=log,
            uid=uid,
            gid=gid,
        )
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def imap_mailbox(db: None, dovecot: DovecotServer, monkeypatch: pytest.MonkeyPatch) -> Mailbox:
    """A mailbox on the real server reading a folder of its own (tests do not share mail)."""
    monkeypatch.setenv(IMAP_PASSWORD_ENV, dovecot.password)
    folder = f"T{uuid.uuid4().hex[:10]}"
    from imapclient import IMAPClient  # type: ignore[import-untyped]

    with IMAPClient(dovecot.host, port=dovecot.port, ssl=False, timeout=10) as client:
        client.login(dovecot.user, dovecot.password)
        client.create_folder(folder)
    return Mailbox.objects.create(
        name=f"imap-{folder}",
        address="info@1414.test",
        kind=MailboxKind.IMAP,
        host=dovecot.host,
        port=dovecot.port,
        security=Security.NONE,
        username=dovecot.user,
        password_env=IMAP_PASSWORD_ENV,
        folder=folder,
        default_language="ru",
    )


# --- a real SMTP peer ----------------------------------------------------------------------------
# aiosmtpd logs every SMTP command at INFO from its own thread ("mail.log"), sometimes after a
# test's output capture has closed; only its warnings are of interest here.
logging.getLogger("mail.log").setLevel(logging.WARNING)


@dataclass
class SmtpPeer:
    """An aiosmtpd handler: answers 451 to the next ``defer`` deliveries, 550 to ``reject``."""

    host: str = "127.0.0.1"
    port: int = 0
    defer: int = 0
    reject: set[str] = field(default_factory=set)
    received: list[bytes] = field(default_factory=list)
    attempts: int = 0

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's hook name)
        self,
        server: aiosmtp.SMTP,
        session: aiosmtp.Session,
        envelope: aiosmtp.Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if address.lower() in self.reject:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802
        self, server: aiosmtp.SMTP, session: aiosmtp.Session, envelope: aiosmtp.Envelope
    ) -> str:
        self.attempts += 1
        if self.defer:
            self.defer -= 1
            return "451 4.3.0 Try again later"
        content = envelope.original_content or envelope.content or b""
        self.received.append(content if isinstance(content, bytes) else content.encode())
        return "250 2.0.0 Accepted"


@pytest.fixture
def smtp_peer() -> Iterator[SmtpPeer]:
    peer = SmtpPeer(port=free_port())
    controller = Controller(peer, hostname=peer.host, port=peer.port)
    controller.start()
    try:
        with override_settings(
            QOLDAU_SMTP_HOST=peer.host,
            QOLDAU_SMTP_PORT=peer.port,
            QOLDAU_SMTP_SECURITY="none",
            QOLDAU_SMTP_USER="",
            QOLDAU_MAIL_TRANSPORT="qoldau.mail.adapters.smtp.SmtpTransport",
        ):
            yield peer
    finally:
        controller.stop()
