"""The Asterisk manager interface (AMI) adapter of the telephony port (docs/telephony-ami.md).

``AmiListener`` connects to Asterisk with ``panoramisk``, logs in, listens, answers for itself
whether the link is alive (``Ping``), and reconnects with exponential backoff when the
connection drops. Every AMI event goes through ``AmiMapper`` (ami_mapping.py); the call events
it yields are handed, in order, to the sink (``telephony.services.call_event_ingest`` in the
product, a list in tests). A sink that returns an awaitable is awaited; a sink that raises is
retried with backoff (events are idempotent by ``(call_id, seq)``), then the event is logged and
dropped so that one bad event cannot stop the line.

The mapper outlives connections: a call that was in progress when the link dropped goes on with
the next ``seq``, and events Asterisk sends again are recognised and skipped.

Protocol details (greeting ``Asterisk Call Manager/<version>``, ``Action: Login`` answered
``Response: Success``/``Error`` with ``Message: Authentication accepted``/``failed``, ``Ping``
answered ``Ping: Pong``, messages as ``Key: Value`` lines ending in CRLF, a blank line closing
each one) are Asterisk's, main/manager.c; docs.asterisk.org AMI_Actions/Login and Ping.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from panoramisk.ami_protocol import AMIProtocol
from panoramisk.manager import Manager
from panoramisk.message import Message

from qoldau.telephony.adapters.ami_mapping import AmiMapper, AmiMappingConfig
from qoldau.telephony.ports import CallEvent, CallEventSink

logger = logging.getLogger(__name__)

_EOM = b"\r\n\r\n"
_GREETING = "Asterisk Call Manager/"
_MAX_MESSAGE_BYTES = 1024 * 1024


class AmiError(RuntimeError):
    """The AMI link failed; the message says how."""


class AmiLoginError(AmiError):
    """Asterisk refused the login: a configuration error, so it is not retried."""


class AmiConnectionLost(AmiError):
    """The connection dropped or stopped answering; the listener reconnects."""


class _Protocol(AMIProtocol):  # type: ignore[misc]
    """panoramisk's protocol with stricter framing: bytes are split into messages before they
    are decoded (a UTF-8 name cut between two reads stays whole), lines that are not
    ``Key: Value`` are logged and skipped, and nothing a callback raises can break the link."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._buffer = b""
        self.version: str | None = None

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while True:
            block, sep, rest = self._buffer.partition(_EOM)
            if not sep:
                break
            self._buffer = rest
            self._block_received(block)
        if len(self._buffer) > _MAX_MESSAGE_BYTES:
            logger.error("AMI message over %d bytes; the connection is reset", _MAX_MESSAGE_BYTES)
            self._buffer = b""
            self.transport.close()

    def _block_received(self, block: bytes) -> None:
        text = block.decode("utf-8", errors="replace")
        lines = []
        for line in text.split("\r\n"):
            if line.startswith(_GREETING) and self.version is None:
                self.version = line[len(_GREETING) :].strip()
                logger.info("AMI protocol version %s", self.version)
            elif ": " in line:
                lines.append(line)
            elif line.strip():
                logger.warning("Malformed AMI line skipped: %r", line[:200])
        if not lines:
            return
        message = Message.from_line("\r\n".join(lines))
        if message is None:
            logger.warning("AMI message without Event or Response skipped: %r", lines[0][:200])
            return
        try:
            self.handle_message(message)
        except Exception:
            logger.exception("AMI message could not be handled; skipped")


class _Manager(Manager):  # type: ignore[misc]
    """One connection's manager: the listener, not panoramisk, decides when to reconnect and
    when to ping."""

    def __init__(self, *, on_lost: Callable[[Any], None], **config: Any):
        super().__init__(**config)
        self._on_lost = on_lost

    def connection_made(self, future: asyncio.Future[Any]) -> None:
        if future.cancelled() or future.exception() is not None:
            return  # the listener sees the failure on the task it awaits
        super().connection_made(future)

    def ping(self) -> None:
        """The listener pings with a timeout of its own."""

    def connection_lost(self, exc: Any) -> None:
        self._connected = False
        self._on_lost(exc)


@dataclass
class AmiListener:
    """Listens to one Asterisk; ``await run()`` until ``stop()``. See the module docstring."""

    host: str
    port: int
    username: str
    secret: str
    sink: CallEventSink
    mapping: AmiMappingConfig = field(default_factory=AmiMappingConfig)
    connect_timeout: float = 10.0
    login_timeout: float = 10.0
    ping_interval: float = 20.0
    ping_timeout: float = 10.0
    backoff_initial: float = 1.0
    backoff_max: float = 60.0
    sink_attempts: int = 5
    mapper: AmiMapper | None = None

    def __post_init__(self) -> None:
        if self.mapper is None:
            self.mapper = AmiMapper(self.mapping)
        self._stopping = asyncio.Event()
        self._progress = asyncio.Condition()
        self._queue: asyncio.Queue[CallEvent] | None = None
        self.attempts = 0  # connection attempts so far
        self.logins = 0  # successful logins so far

    # --- public ---------------------------------------------------------------------------
    async def run(self) -> None:
        """Connect, listen and reconnect until ``stop()``; raise ``AmiLoginError`` when Asterisk
        refuses the credentials. Events already mapped are delivered before it returns."""
        self._queue = asyncio.Queue()
        deliverer = asyncio.create_task(self._deliver_forever())
        try:
            await self._connect_forever()
        finally:
            await self._drain(deliverer)

    def stop(self) -> None:
        """Stop listening (from the listener's event loop; ``loop.call_soon_threadsafe``
        from elsewhere)."""
        self._stopping.set()

    async def wait_for_attempts(self, count: int) -> None:
        """Return once ``count`` connection attempts have ended (in success or failure)."""
        async with self._progress:
            await self._progress.wait_for(lambda: self.attempts >= count)

    # --- connection -----------------------------------------------------------------------
    async def _connect_forever(self) -> None:
        delay = self.backoff_initial
        while not self._stopping.is_set():
            logins = self.logins
            try:
                await self._session()
            except AmiLoginError:
                raise
            except (OSError, TimeoutError, AmiConnectionLost) as exc:
                logger.warning(
                    "AMI %s:%s unavailable (%s)", self.host, self.port, exc or type(exc).__name__
                )
            except Exception:
                # Whatever else broke this connection, the next one may work: keep the line up.
                logger.exception("AMI session with %s:%s failed", self.host, self.port)
            finally:
                await self._count_attempt()
            if self._stopping.is_set():
                return
            if self.logins > logins:
                delay = self.backoff_initial  # the link had worked: start again from short
            pause = delay * (0.5 + random.random() / 2)  # noqa: S311  (jitter, not a secret)
            logger.info("AMI reconnects in %.2f s", pause)
            await self._wait_stopping(pause)
            delay = min(delay * 2, self.backoff_max)

    async def _count_attempt(self) -> None:
        async with self._progress:
            self.attempts += 1
            self._progress.notify_all()

    async def _session(self) -> None:
        loop = asyncio.get_running_loop()
        lost: asyncio.Future[Any] = loop.create_future()

        def on_lost(exc: Any) -> None:
            if not lost.done():
                lost.set_result(exc)

        manager = _Manager(
            loop=loop,
            host=self.host,
            port=self.port,
            protocol_factory=_Protocol,
            on_lost=on_lost,
        )
        manager.register_event("*", self._on_event)
        try:
            connecting = manager.connect()
            await asyncio.wait_for(connecting, self.connect_timeout)
            response = await self._action(
                manager,
                lost,
                {
                    "Action": "Login",
                    "Username": self.username,
                    "Secret": self.secret,
                    "Events": "on",
                },
                self.login_timeout,
            )
            if not response.success:
                raise AmiLoginError(
                    f"Asterisk at {self.host}:{self.port} refused the AMI login of "
                    f"{self.username!r}: {response.message or response.response}"
                )
            self.logins += 1
            logger.info("AMI logged in to %s:%s as %s", self.host, self.port, self.username)
            stopping = asyncio.ensure_future(self._stopping.wait())
            try:
                while True:
                    await asyncio.wait(
                        {lost, stopping},
                        timeout=self.ping_interval,
                        return_when=asyncio.FIRST_COMPLETED,
                    )
                    if self._stopping.is_set():
                        return
                    if lost.done():
                        raise AmiConnectionLost("the connection was closed")
                    await self._action(manager, lost, {"Action": "Ping"}, self.ping_timeout)
            finally:
                stopping.cancel()
        finally:
            manager.close()

    async def _action(
        self,
        manager: _Manager,
        lost: asyncio.Future[Any],
        action: dict[str, str],
        timeout: float,
    ) -> Any:
        if lost.done():
            raise AmiConnectionLost("the connection was closed")
        answer = manager.send_action(action)
        done, _ = await asyncio.wait(
            {answer, lost}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if answer in done:
            return answer.result()
        answer.cancel()
        if lost in done:
            raise AmiConnectionLost(f"the connection closed before {action['Action']} was answered")
        raise AmiConnectionLost(f"no answer to {action['Action']} in {timeout:g} s")

    async def _wait_stopping(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    # --- events ---------------------------------------------------------------------------
    def _on_event(self, manager: Manager, message: Message) -> None:
        assert self.mapper is not None
        assert self._queue is not None
        headers = {key: message[key] for key in message}
        try:
            events = self.mapper.feed(headers)
        except Exception:
            logger.exception("AMI %s could not be mapped; skipped", message.get("Event", "?"))
            return
        for event in events:
            self._queue.put_nowait(event)

    async def _deliver_forever(self) -> None:
        assert self._queue is not None
        while True:
            event = await self._queue.get()
            try:
                await self._deliver(event)
            finally:
                self._queue.task_done()

    async def _deliver(self, event: CallEvent) -> None:
        delay = self.backoff_initial
        for attempt in range(1, self.sink_attempts + 1):
            try:
                result = self.sink(event)
                if inspect.isawaitable(result):
                    await result
                return
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception(
                    "Call event %s/%s (%s) not stored, attempt %d of %d",
                    event.call_id,
                    event.seq,
                    event.kind,
                    attempt,
                    self.sink_attempts,
                )
            if attempt < self.sink_attempts:
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.backoff_max)
        logger.error("Call event %s/%s (%s) dropped", event.call_id, event.seq, event.kind)

    async def _drain(self, deliverer: asyncio.Task[None]) -> None:
        assert self._queue is not None
        try:
            await self._queue.join()
        finally:
            deliverer.cancel()
            await asyncio.gather(deliverer, return_exceptions=True)
