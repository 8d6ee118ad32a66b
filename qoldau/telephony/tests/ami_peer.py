"""An Asterisk manager interface (AMI) peer for tests: a real asyncio TCP server speaking the AMI
wire protocol, replaying scripted event sequences the way Asterisk 18 and 20 emit them.

Wire protocol (Asterisk's main/manager.c): on connect the server greets with
``Asterisk Call Manager/<AMI version>\\r\\n``; every message is ``Key: Value`` lines ending in
CRLF and a blank line; ``Action: Login`` with ``Username``/``Secret`` is answered
``Response: Success`` + ``Message: Authentication accepted`` (then a ``FullyBooted`` event) or
``Response: Error`` + ``Message: Authentication failed`` (and the connection is closed);
``Action: Ping`` is answered ``Ping: Pong`` with a ``Timestamp``; ``ActionID`` is echoed.

Event shapes follow docs.asterisk.org (Asterisk_18_Documentation and Asterisk_20_Documentation,
API_Documentation/AMI_Events/…) and the channel snapshot of main/manager_channels.c; the
``Timestamp`` header is there when the script says ``timestampevents``. Asterisk 18 and 20 emit
these events with the same headers; they differ in the AMI version of the greeting.

A script is one list of steps per connection: an event (a list of header pairs), raw bytes,
or ``DROP`` (the server closes the connection, as a restart of Asterisk would). Connections listed
in ``deaf`` stop answering actions after the login, as a hung Asterisk or a half-open TCP link
would.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

# The AMI version each Asterisk line reports in its greeting. Illustrative: not checked against
# the Asterisk sources, and the adapter reads the greeting only to log it.
AMI_VERSIONS = {"18": "7.0.3", "20": "9.0.0"}

Header = tuple[str, str]
Event = list[Header]
DROP = "drop"
Step = Event | bytes | str


def encode(headers: Sequence[Header]) -> bytes:
    return "".join(f"{key}: {value}\r\n" for key, value in headers).encode() + b"\r\n"


@dataclass
class AmiPeer:
    """``async with AmiPeer(scripts=[[...], [...]]) as peer:`` listens on 127.0.0.1:<port>.

    Connection *n* (counting logged-in ones from 0) plays ``scripts[n]``; later connections
    play nothing and just answer actions. ``port=0`` takes a free port."""

    username: str = "qoldau"
    secret: str = "s3cret"
    version: str = "20"
    scripts: list[list[Step]] = field(default_factory=list)
    port: int = 0
    logins: int = 0
    failed_logins: int = 0
    actions: list[dict[str, str]] = field(default_factory=list)
    deaf: set[int] = field(default_factory=set)  # connections (by login) that stop answering
    chunk: int = 0  # write events in pieces of this many bytes (0: whole)

    def __post_init__(self) -> None:
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.pings = 0

    async def __aenter__(self) -> AmiPeer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        await self._server.wait_closed()

    # --- the session ----------------------------------------------------------------------
    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        player: asyncio.Task[None] | None = None
        session: int | None = None  # which login this connection is
        try:
            writer.write(f"Asterisk Call Manager/{AMI_VERSIONS[self.version]}\r\n".encode())
            await writer.drain()
            while True:
                try:
                    raw = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                action = self._parse(raw)
                self.actions.append(action)
                if session in self.deaf:
                    continue
                reply, script = self._answer(action)
                writer.write(encode(reply))
                refused = reply[0] == ("Response", "Error")
                if action.get("action", "").lower() == "login" and refused:
                    await writer.drain()
                    return  # Asterisk closes the session after a refused login
                if script is not None:
                    session = self.logins - 1
                    writer.write(encode(self._fully_booted()))
                    player = asyncio.create_task(self._play(script, writer))
                await writer.drain()
                if action.get("action", "").lower() == "logoff":
                    return
        finally:
            if player is not None:
                player.cancel()
            self._writers.discard(writer)
            writer.close()

    @staticmethod
    def _parse(raw: bytes) -> dict[str, str]:
        action: dict[str, str] = {}
        for line in raw.decode().split("\r\n"):
            key, sep, value = line.partition(": ")
            if sep:
                action[key.lower()] = value
        return action

    def _answer(self, action: dict[str, str]) -> tuple[list[Header], list[Step] | None]:
        name = action.get("action", "").lower()
        action_id = [("ActionID", action["actionid"])] if "actionid" in action else []
        if name == "login":
            if action.get("username") == self.username and action.get("secret") == self.secret:
                script = self.scripts[self.logins] if self.logins < len(self.scripts) else []
                self.logins += 1
                return [
                    ("Response", "Success"),
                    *action_id,
                    ("Message", "Authentication accepted"),
                ], script
            self.failed_logins += 1
            return [("Response", "Error"), *action_id, ("Message", "Authentication failed")], None
        if name == "ping":
            self.pings += 1
            return [
                ("Response", "Success"),
                *action_id,
                ("Ping", "Pong"),
                ("Timestamp", "1764806400.000000"),
            ], None
        if name == "logoff":
            return [
                ("Response", "Goodbye"),
                *action_id,
                ("Message", "Thanks for all the fish."),
            ], None
        return [("Response", "Error"), *action_id, ("Message", "Invalid/unknown command")], None

    def _fully_booted(self) -> Event:
        headers: Event = [("Event", "FullyBooted"), ("Privilege", "system,all")]
        headers += [("Uptime", "120"), ("LastReload", "120")]
        return [*headers, ("Status", "Fully Booted")]

    async def _play(self, script: list[Step], writer: asyncio.StreamWriter) -> None:
        for step in script:
            if step == DROP:
                await writer.drain()
                writer.transport.abort()
                break
            data = step if isinstance(step, bytes) else encode(step)  # type: ignore[arg-type]
            if not self.chunk:
                writer.write(data)
                continue
            for start in range(0, len(data), self.chunk):
                writer.write(data[start : start + self.chunk])
                await writer.drain()
        with contextlib.suppress(ConnectionError):
            await writer.drain()


# --- scripted calls, as Asterisk emits them -------------------------------------------------
@dataclass
class Clock:
    """Asterisk's event timestamps for a script: starts at 2025-12-04 00:00:00 UTC and moves
    by ``step`` microseconds per event. ``enabled=False`` is manager.conf without
    ``timestampevents``."""

    micros: int = 1_764_806_400_000_000
    step: int = 250_000
    enabled: bool = True

    def tick(self) -> list[Header]:
        self.micros += self.step
        if not self.enabled:
            return []
        return [("Timestamp", f"{self.micros // 1_000_000}.{self.micros % 1_000_000:06d}")]


_ids = itertools.count(1)


@dataclass
class Channel:
    name: str
    uniqueid: str
    linkedid: str
    number: str
    caller_name: str = "<unknown>"
    context: str = "from-trunk"
    exten: str = "1414"
    state: str = "Up"
    connected: str = "<unknown>"
    language: str = "en"
    variables: dict[str, str] = field(default_factory=dict)  # manager.conf channelvars

    def snapshot(self, prefix: str = "") -> Event:
        states = {"Down": "0", "Ring": "4", "Ringing": "5", "Up": "6"}
        headers: Event = [
            (f"{prefix}Channel", self.name),
            (f"{prefix}ChannelState", states[self.state]),
            (f"{prefix}ChannelStateDesc", self.state),
            (f"{prefix}CallerIDNum", self.number),
            (f"{prefix}CallerIDName", self.caller_name),
            (f"{prefix}ConnectedLineNum", self.connected),
            (f"{prefix}ConnectedLineName", "<unknown>"),
            (f"{prefix}Language", self.language),
            (f"{prefix}AccountCode", ""),
            (f"{prefix}Context", self.context),
            (f"{prefix}Exten", self.exten),
            (f"{prefix}Priority", "1"),
            (f"{prefix}Uniqueid", self.uniqueid),
            (f"{prefix}Linkedid", self.linkedid),
        ]
        headers += [(f"{prefix}ChanVariable", f"{k}={v}") for k, v in self.variables.items()]
        return headers


class Pbx:
    """Builds the AMI events of calls on one Asterisk: channels, queues, agents."""

    def __init__(self, *, clock: Clock | None = None, epoch: int = 1764806400):
        self.clock = clock or Clock()
        self._epoch = epoch
        self._sequence = itertools.count(1)

    def _uniqueid(self) -> str:
        return f"{self._epoch}.{next(self._sequence)}"

    def _event(self, name: str, privilege: str, *parts: Sequence[Header]) -> Event:
        headers: Event = [("Event", name), ("Privilege", privilege), *self.clock.tick()]
        for part in parts:
            headers += part
        return headers

    # channels
    def caller(self, number: str, *, line: str = "1414") -> Channel:
        uniqueid = self._uniqueid()
        return Channel(
            name=f"PJSIP/trunk-{next(_ids):08x}",
            uniqueid=uniqueid,
            linkedid=uniqueid,
            number=number,
            exten=line,
            state="Ring",
        )

    def agent_leg(self, caller: Channel, interface: str) -> Channel:
        extension = interface.rpartition("/")[2]
        return Channel(
            name=f"{interface}-{next(_ids):08x}",
            uniqueid=self._uniqueid(),
            linkedid=caller.linkedid,
            number=extension,
            context="qoldau-agents",
            exten=extension,
            state="Down",
            connected=caller.number,
        )

    def phone_call(
        self, interface: str, dialled: str, *, context: str = "qoldau-agents"
    ) -> Channel:
        """An operator's phone calling out (the consultation leg of an attended transfer)."""
        uniqueid = self._uniqueid()
        return Channel(
            name=f"{interface}-{next(_ids):08x}",
            uniqueid=uniqueid,
            linkedid=uniqueid,
            number=interface.rpartition("/")[2],
            context=context,
            exten=dialled,
        )

    # channel events
    def newchannel(self, channel: Channel) -> Event:
        return self._event("Newchannel", "call,all", channel.snapshot())

    def varset(self, channel: Channel, variable: str, value: str) -> Event:
        return self._event(
            "VarSet",
            "dialplan,all",
            channel.snapshot(),
            [("Variable", variable), ("Value", value)],
        )

    def user_event(self, channel: Channel, name: str, **fields: str) -> Event:
        return self._event(
            "UserEvent",
            "user,all",
            channel.snapshot(),
            [("UserEvent", name), *fields.items()],
        )

    def hangup(self, channel: Channel, cause: str = "16", text: str = "Normal Clearing") -> Event:
        channel.state = "Up" if channel.state == "Up" else "Down"
        return self._event(
            "Hangup", "call,all", channel.snapshot(), [("Cause", cause), ("Cause-txt", text)]
        )

    def dial_begin(self, caller: Channel, dest: Channel, dialstring: str) -> Event:
        return self._event(
            "DialBegin",
            "call,all",
            caller.snapshot(),
            dest.snapshot("Dest"),
            [("DialString", dialstring)],
        )

    # queue events (class AGENT)
    def queue_join(self, caller: Channel, queue: str, position: int = 1) -> Event:
        caller.exten = caller.exten or queue
        return self._event(
            "QueueCallerJoin",
            "agent,all",
            caller.snapshot(),
            [("Queue", queue), ("Position", str(position)), ("Count", str(position))],
        )

    def queue_leave(self, caller: Channel, queue: str) -> Event:
        return self._event(
            "QueueCallerLeave",
            "agent,all",
            caller.snapshot(),
            [("Queue", queue), ("Position", "1"), ("Count", "0")],
        )

    def queue_abandon(self, caller: Channel, queue: str, hold_time: int) -> Event:
        return self._event(
            "QueueCallerAbandon",
            "agent,all",
            caller.snapshot(),
            [
                ("Queue", queue),
                ("Position", "1"),
                ("OriginalPosition", "1"),
                ("HoldTime", str(hold_time)),
            ],
        )

    def _member(self, queue: str, interface: str, member: str) -> list[Header]:
        return [("Queue", queue), ("MemberName", member), ("Interface", interface)]

    def agent_called(self, caller: Channel, agent: Channel, queue: str, member: str) -> Event:
        interface = agent.name.rpartition("-")[0]
        agent.state = "Ringing"
        return self._event(
            "AgentCalled",
            "agent,all",
            caller.snapshot(),
            agent.snapshot("Dest"),
            self._member(queue, interface, member),
        )

    def agent_ring_no_answer(
        self, caller: Channel, agent: Channel, queue: str, member: str, ring_time: int
    ) -> Event:
        interface = agent.name.rpartition("-")[0]
        return self._event(
            "AgentRingNoAnswer",
            "agent,all",
            caller.snapshot(),
            agent.snapshot("Dest"),
            [*self._member(queue, interface, member), ("RingTime", str(ring_time))],
        )

    def agent_connect(
        self, caller: Channel, agent: Channel, queue: str, member: str, hold: int, ring: int
    ) -> Event:
        interface = agent.name.rpartition("-")[0]
        caller.state = agent.state = "Up"
        return self._event(
            "AgentConnect",
            "agent,all",
            caller.snapshot(),
            agent.snapshot("Dest"),
            [*self._member(queue, interface, member), ("HoldTime", str(hold))],
            [("RingTime", str(ring))],
        )

    def agent_complete(
        self,
        caller: Channel,
        agent: Channel,
        queue: str,
        member: str,
        *,
        hold: int,
        talk: int,
        reason: str,
    ) -> Event:
        interface = agent.name.rpartition("-")[0]
        return self._event(
            "AgentComplete",
            "agent,all",
            caller.snapshot(),
            agent.snapshot("Dest"),
            self._member(queue, interface, member),
            [("HoldTime", str(hold)), ("TalkTime", str(talk)), ("Reason", reason)],
        )

    # bridging events (class CALL)
    @staticmethod
    def _bridge(prefix: str, bridge: str, channels: int) -> list[Header]:
        return [
            (f"{prefix}BridgeUniqueid", bridge),
            (f"{prefix}BridgeType", "basic"),
            (f"{prefix}BridgeTechnology", "simple_bridge"),
            (f"{prefix}BridgeCreator", "<unknown>"),
            (f"{prefix}BridgeName", "<unknown>"),
            (f"{prefix}BridgeNumChannels", str(channels)),
            (f"{prefix}BridgeVideoSourceMode", "none"),
        ]

    def blind_transfer(
        self, transferer: Channel, transferee: Channel, context: str, extension: str
    ) -> Event:
        return self._event(
            "BlindTransfer",
            "call,all",
            [("Result", "Success")],
            transferer.snapshot("Transferer"),
            transferee.snapshot("Transferee"),
            self._bridge("", "b7a1e2c4-0001", 2),
            [("IsExternal", "No"), ("Context", context), ("Extension", extension)],
        )

    def attended_transfer(
        self,
        orig_transferer: Channel,
        second_transferer: Channel,
        transferee: Channel,
        target: Channel,
    ) -> Event:
        return self._event(
            "AttendedTransfer",
            "call,all",
            [("Result", "Success")],
            orig_transferer.snapshot("OrigTransferer"),
            self._bridge("Orig", "b7a1e2c4-0002", 2),
            second_transferer.snapshot("SecondTransferer"),
            self._bridge("Second", "b7a1e2c4-0003", 2),
            [("DestType", "Bridge"), ("DestBridgeUniqueid", "b7a1e2c4-0002")],
            transferee.snapshot("Transferee"),
            target.snapshot("TransferTarget"),
            [("IsExternal", "No")],
        )


# --- the scripted calls ---------------------------------------------------------------------
@dataclass
class Scripted:
    """The AMI events of one call as Asterisk sends them, and the call's id (its Linkedid)."""

    call_id: str
    events: list[Event]
    caller: Channel


def _arrive(
    pbx: Pbx,
    number: str,
    *,
    language: str,
    service: str,
    queue: str,
    with_vars: bool,
    channelvars: bool = False,
    caller_name: str = "<unknown>",
) -> tuple[Channel, list[Event]]:
    caller = pbx.caller(number)
    caller.caller_name = caller_name
    events = [pbx.newchannel(caller)]
    caller.state = "Up"
    caller.context, caller.exten = "qoldau-ivr", "s"  # the IVR menu runs at "s"
    if channelvars:  # manager.conf channelvars: every event of the channel carries them
        caller.variables = {"QOLDAU_LANG": language, "QOLDAU_SERVICE": service}
    elif with_vars:
        events += [
            pbx.varset(caller, "QOLDAU_LANG", language),
            pbx.varset(caller, "QOLDAU_SERVICE", service),
        ]
    events.append(pbx.queue_join(caller, queue))
    return caller, events


def _answer(
    pbx: Pbx, caller: Channel, queue: str, interface: str, member: str
) -> tuple[Channel, list[Event]]:
    agent = pbx.agent_leg(caller, interface)
    events = [
        pbx.newchannel(agent),
        pbx.agent_called(caller, agent, queue, member),
        pbx.agent_connect(caller, agent, queue, member, hold=12, ring=3),
    ]
    return agent, events


def answered_call(
    pbx: Pbx,
    number: str = "+77011234567",
    *,
    queue: str = "general",
    interface: str = "PJSIP/1001",
    member: str = "Aidos",
    language: str = "kk",
    service: str = "00012",
    reason: str = "caller",
    channelvars: bool = False,
    caller_name: str = "<unknown>",
) -> Scripted:
    """IVR (language, service) → queue → an operator answers → the caller hangs up. The IVR's
    variables come as VarSet events, or with ``channelvars`` as ChanVariable headers."""
    caller, events = _arrive(
        pbx,
        number,
        language=language,
        service=service,
        queue=queue,
        with_vars=True,
        channelvars=channelvars,
        caller_name=caller_name,
    )
    agent, answered = _answer(pbx, caller, queue, interface, member)
    events += answered
    events += [
        pbx.agent_complete(caller, agent, queue, member, hold=12, talk=95, reason=reason),
        pbx.hangup(agent),
        pbx.hangup(caller),
    ]
    return Scripted(caller.linkedid, events, caller)


def abandoned_call(pbx: Pbx, number: str = "+77017654321", *, queue: str = "general") -> Scripted:
    """Queue → an operator's phone rings unanswered → the caller gives up while waiting."""
    caller, events = _arrive(pbx, number, language="ru", service="", queue=queue, with_vars=True)
    agent = pbx.agent_leg(caller, "PJSIP/1001")
    events += [
        pbx.newchannel(agent),
        pbx.agent_called(caller, agent, queue, "Aidos"),
        pbx.agent_ring_no_answer(caller, agent, queue, "Aidos", ring_time=15),
        pbx.hangup(agent, "19", "User alerting, no answer"),
        pbx.queue_abandon(caller, queue, hold_time=40),
        pbx.hangup(caller),
    ]
    return Scripted(caller.linkedid, events, caller)


def blind_transfer_to_queue(pbx: Pbx, number: str = "+77015550101") -> Scripted:
    """Answered in "general"; the operator blind-transfers to the queue "business"; the
    dialplan there sets QOLDAU_TRANSFER_NOTICE, plays it, and queues the caller again."""
    caller, events = _arrive(
        pbx, number, language="kk", service="00034", queue="general", with_vars=True
    )
    agent, answered = _answer(pbx, caller, "general", "PJSIP/1001", "Aidos")
    events += answered
    events += [
        pbx.blind_transfer(agent, caller, "qoldau-queues", "business"),
        pbx.agent_complete(caller, agent, "general", "Aidos", hold=12, talk=30, reason="transfer"),
        pbx.hangup(agent),
    ]
    caller.context, caller.exten = "qoldau-queues", "business"
    events += [
        pbx.varset(caller, "BLINDTRANSFER", agent.name),
        pbx.varset(caller, "QOLDAU_TRANSFER_NOTICE", "transfer_notice"),
        pbx.queue_join(caller, "business"),
    ]
    second, answered = _answer(pbx, caller, "business", "PJSIP/1002", "Dana")
    events += answered
    events += [
        pbx.agent_complete(caller, second, "business", "Dana", hold=12, talk=60, reason="agent"),
        pbx.hangup(second),
        pbx.hangup(caller),
    ]
    return Scripted(caller.linkedid, events, caller)


def attended_transfer(pbx: Pbx, number: str = "+77015550202") -> Scripted:
    """Answered by 1001, who calls 1002 from the phone, talks, and completes the transfer."""
    caller, events = _arrive(
        pbx, number, language="ru", service="00056", queue="general", with_vars=True
    )
    agent, answered = _answer(pbx, caller, "general", "PJSIP/1001", "Aidos")
    events += answered
    consult = pbx.phone_call("PJSIP/1001", "1002")
    target = pbx.agent_leg(consult, "PJSIP/1002")
    events += [pbx.newchannel(consult), pbx.newchannel(target)]
    target.state = "Up"
    events += [
        pbx.dial_begin(consult, target, "PJSIP/1002"),
        pbx.attended_transfer(agent, consult, caller, target),
        pbx.agent_complete(caller, agent, "general", "Aidos", hold=12, talk=40, reason="transfer"),
        pbx.hangup(agent),
        pbx.hangup(consult),
        pbx.hangup(caller),
        pbx.hangup(target),
    ]
    return Scripted(caller.linkedid, events, caller)


def recorded_and_rated_call(pbx: Pbx, number: str = "+77015550303") -> Scripted:
    """MixMonitor records the operator's leg; after the operator hangs up the caller rates the
    call in the IVR (QOLDAU_RATING through VarSet, and the same digit again as a UserEvent)."""
    caller, events = _arrive(
        pbx, number, language="en", service="", queue="general", with_vars=True
    )
    agent, answered = _answer(pbx, caller, "general", "PJSIP/1003", "Erlan")
    events += answered
    recording = f"/var/spool/asterisk/monitor/{caller.linkedid}.wav"
    events += [
        pbx.varset(agent, "MIXMONITOR_FILENAME", recording),
        pbx.agent_complete(caller, agent, "general", "Erlan", hold=12, talk=75, reason="agent"),
        pbx.hangup(agent),
    ]
    caller.context, caller.exten = "qoldau-rating", "s"
    events += [
        pbx.varset(caller, "QOLDAU_RATING", "5"),
        pbx.user_event(caller, "QoldauRating", Rating="5"),
        pbx.hangup(caller),
    ]
    return Scripted(caller.linkedid, events, caller)


def barrier(pbx: Pbx) -> Scripted:
    """A call that only joins a queue: the test waits for it to know that every event sent
    before it has been handled (events are handled in order)."""
    caller, events = _arrive(
        pbx, "+77000000000", language="", service="", queue="barrier", with_vars=False
    )
    return Scripted(caller.linkedid, events, caller)


def timestamp(event: Event) -> int:
    value = dict(event).get("Timestamp", "0.0")
    seconds, _, micros = value.partition(".")
    return int(seconds) * 1_000_000 + int(micros)


def interleave(*streams: list[Event]) -> list[Event]:
    """Events of concurrent calls in the order of their timestamps, as Asterisk sends them."""
    return sorted((e for s in streams for e in s), key=timestamp)
