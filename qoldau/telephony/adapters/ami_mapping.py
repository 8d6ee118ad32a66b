"""Asterisk AMI events → ``CallEvent``: the pure, stateful half of the AMI adapter (no I/O).

``AmiMapper.feed(headers)`` takes one AMI event (its headers as Asterisk sent them) and returns
the ``CallEvent`` values it means, in order. It keeps a little state per call (what was seen,
the last ``seq``) and lives as long as the listener, so a reconnect does not forget a call.

Event shapes (header names and values) are those of Asterisk 18 and 20 as documented in:

- AMI events, docs.asterisk.org, Asterisk_18_Documentation and Asterisk_20_Documentation,
  API_Documentation/AMI_Events/: QueueCallerJoin, QueueCallerAbandon, AgentCalled,
  AgentConnect (HoldTime, RingTime), AgentComplete (HoldTime, TalkTime, Reason), BlindTransfer
  (Transferer*/Transferee* snapshots, IsExternal, Context, Extension), AttendedTransfer
  (OrigTransferer*, SecondTransferer*, Transferee*, TransferTarget*, DestType), VarSet
  (Variable, Value), Hangup (Cause, Cause-txt), Newchannel, UserEvent;
- the channel snapshot every channel event carries, in Asterisk's main/manager_channels.c
  (``ast_manager_build_channel_state_string_prefix``): Channel, ChannelState, ChannelStateDesc,
  CallerIDNum, CallerIDName, ConnectedLineNum, ConnectedLineName, Language, AccountCode, Context,
  Exten, Priority, Uniqueid, Linkedid, then one ``ChanVariable: NAME=value`` per variable listed
  in manager.conf ``channelvars`` (prefixed like the snapshot: ``DestChanVariable`` …);
- the ``Timestamp: <seconds>.<microseconds>`` header that main/manager.c adds to every event
  when manager.conf has ``timestampevents = yes``;
- MixMonitor's ``MIXMONITOR_FILENAME`` channel variable (Dialplan_Applications/MixMonitor).

The mapping table is in docs/telephony-ami.md.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from qoldau.telephony.ports import CallEvent, CallEventKind

logger = logging.getLogger(__name__)

HeaderValue = str | list[str]
Headers = Mapping[str, HeaderValue]

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)
_UNKNOWN = {"", "<unknown>", "unknown"}

# Phases of a call as the mapper follows it.
_NEW = ""
_QUEUED = "queued"
_OFFERED = "offered"
_ANSWERED = "answered"
_TRANSFERRED = "transferred"
_ENDED = "ended"
_ABANDONED = "abandoned"
_IN_CONVERSATION = {_ANSWERED, _TRANSFERRED}
_FINISHED = {_ENDED, _ABANDONED}


@dataclass(frozen=True)
class AmiMappingConfig:
    """The dialplan's conventions (docs/telephony-ami.md); the defaults are Qoldau's."""

    language_variable: str = "QOLDAU_LANG"
    service_variable: str = "QOLDAU_SERVICE"
    line_variable: str = "QOLDAU_LINE"  # overrides the dialled extension as the line
    rating_variable: str = "QOLDAU_RATING"
    rating_user_event: str = "QoldauRating"  # UserEvent(QoldauRating,Rating: N)
    recording_variable: str = "QOLDAU_RECORDING"
    notice_variable: str = "QOLDAU_TRANSFER_NOTICE"
    # A transfer into one of these dialplan contexts targets a queue named by the extension.
    queue_contexts: frozenset[str] = frozenset({"qoldau-queues"})
    operator_header: str = "Interface"  # or "MemberName"
    max_tracked_calls: int = 20000


def _now() -> dt.datetime:
    return dt.datetime.now(tz=dt.UTC)


@dataclass
class _Call:
    call_id: str
    last_seq: int = 0
    arrived: bool = False
    phase: str = _NEW
    origin_exten: str = ""
    line: str = ""
    language: str = ""
    service: str = ""
    queue: str = ""
    operator: str = ""
    caller_channels: set[str] = field(default_factory=set)
    seen: set[int] = field(default_factory=set)
    pending_transfer: CallEvent | None = None
    notice: str = ""
    recordings: set[str] = field(default_factory=set)
    rating: int | None = None


class _Headers:
    """Case-insensitive view of one AMI message; repeated headers keep every value."""

    def __init__(self, headers: Headers):
        self.raw = headers
        self._values: dict[str, list[str]] = {}
        for key, value in headers.items():
            values = value if isinstance(value, list) else [value]
            self._values.setdefault(key.lower(), []).extend(str(v) for v in values)

    def get(self, name: str) -> str:
        values = self._values.get(name.lower())
        return values[0].strip() if values else ""

    def all(self, name: str) -> list[str]:
        return list(self._values.get(name.lower(), []))

    def fingerprint(self) -> int:
        return hash(tuple(sorted((k, tuple(v)) for k, v in self._values.items())))


def _clean_number(value: str) -> str:
    return "" if value.strip().lower() in _UNKNOWN else value.strip()


def _variable_name(raw: str) -> str:
    """``__QOLDAU_LANG`` (inherited) is ``QOLDAU_LANG``; ``LOCAL(x)`` is not a channel variable."""
    return raw.strip().lstrip("_").upper()


class AmiMapper:
    """Turns AMI events into call events; one instance per listener (see module docstring)."""

    def __init__(
        self,
        config: AmiMappingConfig | None = None,
        *,
        clock: Callable[[], dt.datetime] = _now,
    ):
        self.config = config or AmiMappingConfig()
        self._clock = clock
        self._calls: OrderedDict[str, _Call] = OrderedDict()
        self._warned_no_timestamp = False
        self._handlers: dict[str, Callable[[_Call, _Headers], list[CallEvent]]] = {
            "newchannel": self._newchannel,
            "varset": self._varset,
            "userevent": self._userevent,
            "queuecallerjoin": self._queue_caller_join,
            "agentcalled": self._agent_called,
            "agentconnect": self._agent_connect,
            "agentcomplete": self._agent_complete,
            "queuecallerabandon": self._queue_caller_abandon,
            "blindtransfer": self._blind_transfer,
            "attendedtransfer": self._attended_transfer,
            "dialbegin": self._caller_moves_on,
            "bridgeenter": self._caller_moves_on,
            "hangup": self._hangup,
        }

    # --- entry point ----------------------------------------------------------------------
    def feed(self, headers: Headers) -> list[CallEvent]:
        """The call events one AMI event means (often none)."""
        message = _Headers(headers)
        name = message.get("Event").lower()
        handler = self._handlers.get(name)
        if handler is None or (name == "varset" and not self._wanted(message)):
            return []
        call_id = self._call_id(name, message)
        if not call_id:
            logger.warning("AMI %s without Linkedid or Uniqueid skipped", message.get("Event"))
            return []
        call = self._call(call_id, create=name in {"newchannel", "varset", "queuecallerjoin"})
        if call is None:
            return []
        fingerprint = message.fingerprint()
        if fingerprint in call.seen:
            logger.info("AMI %s for call %s seen before; skipped", message.get("Event"), call_id)
            return []
        call.seen.add(fingerprint)
        self._apply_channel_variables(call, message)
        return handler(call, message)

    def _wanted(self, message: _Headers) -> bool:
        config = self.config
        return _variable_name(message.get("Variable")) in {
            config.language_variable,
            config.service_variable,
            config.line_variable,
            config.rating_variable,
            config.recording_variable,
            config.notice_variable,
            "MIXMONITOR_FILENAME",
        }

    @property
    def tracked_calls(self) -> int:
        return len(self._calls)

    # --- identity, time and order ---------------------------------------------------------
    @staticmethod
    def _call_id(name: str, message: _Headers) -> str:
        if name == "blindtransfer":
            candidates: Sequence[str] = ("TransfereeLinkedid", "TransfererLinkedid")
        elif name == "attendedtransfer":
            candidates = ("TransfereeLinkedid", "OrigTransfererLinkedid")
        else:
            candidates = ("Linkedid", "Uniqueid")
        for header in candidates:
            if value := message.get(header):
                return value
        return ""

    def _call(self, call_id: str, *, create: bool) -> _Call | None:
        call = self._calls.get(call_id)
        if call is not None:
            self._calls.move_to_end(call_id)
            return call
        if not create:
            return None
        call = self._calls[call_id] = _Call(call_id=call_id)
        while len(self._calls) > self.config.max_tracked_calls:
            self._calls.popitem(last=False)
        return call

    def _moment(self, message: _Headers) -> tuple[int, dt.datetime]:
        """Microseconds since the epoch and the aware UTC moment of an event."""
        stamp = message.get("Timestamp")
        if stamp:
            seconds, _, fraction = stamp.partition(".")
            if seconds.isdigit() and (fraction == "" or fraction.isdigit()):
                micros = int(seconds) * 1_000_000 + int((fraction + "000000")[:6])
                return micros, _EPOCH + dt.timedelta(microseconds=micros)
            logger.warning("AMI Timestamp %r is malformed; the time of receipt is used", stamp)
        elif not self._warned_no_timestamp:
            self._warned_no_timestamp = True
            logger.warning(
                "AMI events carry no Timestamp: set timestampevents = yes in manager.conf; "
                "until then seq and times come from the time of receipt"
            )
        moment = self._clock().astimezone(dt.UTC)
        return (moment - _EPOCH) // _MICROSECOND, moment

    def _event(
        self, call: _Call, message: _Headers, kind: CallEventKind, **fields: Any
    ) -> CallEvent:
        micros, moment = self._moment(message)
        call.last_seq = seq = max(micros, call.last_seq + 1)
        extra = {"asterisk_event": message.get("Event"), **fields.pop("extra", {})}
        return CallEvent(
            call_id=call.call_id,
            seq=seq,
            kind=kind,
            at=moment,
            source="ami",
            extra=extra,
            **fields,
        )

    # --- variables ------------------------------------------------------------------------
    def _apply_channel_variables(self, call: _Call, message: _Headers) -> None:
        for item in message.all("ChanVariable"):
            name, sep, value = item.partition("=")
            if sep:
                self._remember_variable(call, _variable_name(name), value.strip())

    def _remember_variable(self, call: _Call, name: str, value: str) -> bool:
        """Store a variable that describes the call; True when it was one of those."""
        config = self.config
        if not value:
            return name in {config.language_variable, config.service_variable}
        if name == config.language_variable:
            call.language = value.lower()
        elif name == config.service_variable:
            call.service = value
        elif name == config.line_variable:
            call.line = value
        else:
            return False
        return True

    def _varset(self, call: _Call, message: _Headers) -> list[CallEvent]:
        name = _variable_name(message.get("Variable"))
        value = message.get("Value")
        if self._remember_variable(call, name, value):
            return []
        config = self.config
        if name == config.rating_variable:
            return self._rating(call, message, value)
        if name in {config.recording_variable, "MIXMONITOR_FILENAME"}:
            return self._recording(call, message, value, variable=name)
        if name == config.notice_variable and value:
            return self._notice(call, value)
        return []

    def _userevent(self, call: _Call, message: _Headers) -> list[CallEvent]:
        """``UserEvent(QoldauRating,Rating: 5)``, or any UserEvent with a QOLDAU_RATING header."""
        config = self.config
        if value := message.get(config.rating_variable):
            return self._rating(call, message, value)
        if message.get("UserEvent").lower() == config.rating_user_event.lower():
            return self._rating(call, message, message.get("Rating"))
        return []

    def _rating(self, call: _Call, message: _Headers, value: str) -> list[CallEvent]:
        if not call.arrived:
            return []
        if not value.isdigit():
            logger.warning(
                "AMI rating %r of call %s is not a keypad digit; skipped", value, call.call_id
            )
            return []
        rating = int(value)
        if rating == call.rating:
            return []
        call.rating = rating
        return [*self._flush(call), self._event(call, message, CallEventKind.RATING, rating=rating)]

    def _recording(
        self, call: _Call, message: _Headers, uri: str, *, variable: str
    ) -> list[CallEvent]:
        if not call.arrived or not uri or uri in call.recordings:
            return []
        call.recordings.add(uri)
        event = self._event(
            call, message, CallEventKind.RECORDING, recording_uri=uri, extra={"variable": variable}
        )
        return [*self._flush(call), event]

    def _notice(self, call: _Call, notice: str) -> list[CallEvent]:
        if call.pending_transfer is not None:
            call.pending_transfer = replace(call.pending_transfer, notice=notice)
            return self._flush(call)
        call.notice = notice  # set before the transfer: it goes with the next one
        return []

    @staticmethod
    def _flush(call: _Call) -> list[CallEvent]:
        """A transfer waits for its notice until the caller reaches the target (see docs)."""
        pending, call.pending_transfer = call.pending_transfer, None
        return [pending] if pending is not None else []

    # --- queue and agents -----------------------------------------------------------------
    def _newchannel(self, call: _Call, message: _Headers) -> list[CallEvent]:
        if message.get("Uniqueid") == call.call_id and not call.origin_exten:
            call.origin_exten = message.get("Exten")
        return []

    def _queue_caller_join(self, call: _Call, message: _Headers) -> list[CallEvent]:
        events = self._flush(call)
        call.caller_channels.add(message.get("Uniqueid"))
        call.queue = message.get("Queue")
        if not call.arrived:
            call.arrived = True
            events.append(
                self._event(
                    call,
                    message,
                    CallEventKind.ARRIVED,
                    line=call.line or call.origin_exten or message.get("Exten"),
                    caller=_clean_number(message.get("CallerIDNum")),
                    language=call.language,
                    service=call.service,
                )
            )
        call.phase = _QUEUED
        events.append(
            self._event(
                call,
                message,
                CallEventKind.QUEUED,
                queue=call.queue,
                language=call.language,
                service=call.service,
                extra={"position": message.get("Position")},
            )
        )
        return events

    def _operator(self, message: _Headers) -> str:
        return message.get(self.config.operator_header) or message.get("Interface")

    def _agent_fields(self, message: _Headers) -> dict[str, Any]:
        return {
            "queue": message.get("Queue"),
            "operator": self._operator(message),
        }

    def _agent_extra(self, message: _Headers, *times: str) -> dict[str, Any]:
        extra: dict[str, Any] = {
            "member_name": message.get("MemberName"),
            "interface": message.get("Interface"),
        }
        for header in times:
            value = message.get(header)
            extra[header.lower()] = int(value) if value.isdigit() else None
        return extra

    def _agent_called(self, call: _Call, message: _Headers) -> list[CallEvent]:
        if not call.arrived or call.phase in _FINISHED:
            return []
        events = self._flush(call)
        if call.phase not in _IN_CONVERSATION:
            call.phase = _OFFERED
        events.append(
            self._event(
                call,
                message,
                CallEventKind.OFFERED,
                **self._agent_fields(message),
                extra=self._agent_extra(message),
            )
        )
        return events

    def _agent_connect(self, call: _Call, message: _Headers) -> list[CallEvent]:
        if not call.arrived or call.phase in _FINISHED:
            return []
        events = self._flush(call)
        call.phase = _ANSWERED
        call.operator = self._operator(message)
        events.append(
            self._event(
                call,
                message,
                CallEventKind.ANSWERED,
                **self._agent_fields(message),
                extra=self._agent_extra(message, "HoldTime", "RingTime"),
            )
        )
        return events

    def _agent_complete(self, call: _Call, message: _Headers) -> list[CallEvent]:
        reason = message.get("Reason").lower()
        if not call.arrived or call.phase in _FINISHED or reason == "transfer":
            # A transfer is told by BlindTransfer/AttendedTransfer; the call goes on.
            return []
        events = self._flush(call)
        if call.phase not in _IN_CONVERSATION:
            # AgentConnect was missed (the connection was down): the agent did answer.
            events.append(
                self._event(
                    call,
                    message,
                    CallEventKind.ANSWERED,
                    **self._agent_fields(message),
                    extra=self._agent_extra(message, "HoldTime"),
                )
            )
        call.phase = _ENDED
        events.append(
            self._event(
                call,
                message,
                CallEventKind.ENDED,
                **self._agent_fields(message),
                reason=reason,
                extra=self._agent_extra(message, "HoldTime", "TalkTime"),
            )
        )
        return events

    def _queue_caller_abandon(self, call: _Call, message: _Headers) -> list[CallEvent]:
        if not call.arrived or call.phase in _FINISHED:
            return []
        events = self._flush(call)
        call.phase = _ABANDONED
        events.append(
            self._event(
                call,
                message,
                CallEventKind.ABANDONED,
                queue=message.get("Queue"),
                reason="caller",
                extra={
                    "position": message.get("Position"),
                    "original_position": message.get("OriginalPosition"),
                    "holdtime": int(h) if (h := message.get("HoldTime")).isdigit() else None,
                },
            )
        )
        return events

    # --- transfers ------------------------------------------------------------------------
    def _transfer(
        self,
        call: _Call,
        message: _Headers,
        *,
        context: str,
        extension: str,
        target_operator: str,
        extra: dict[str, Any],
        wait_for_notice: bool,
    ) -> list[CallEvent]:
        if message.get("Result").lower() != "success":
            logger.info("AMI %s of call %s did not succeed", message.get("Event"), call.call_id)
            return []
        if not call.arrived or call.phase in _FINISHED:
            return []
        events = self._flush(call)
        to_queue = context in self.config.queue_contexts
        event = self._event(
            call,
            message,
            CallEventKind.TRANSFERRED,
            queue=call.queue,
            operator=call.operator,
            target_queue=extension if to_queue else "",
            target_operator=target_operator or ("" if to_queue else extension),
            extra={"context": context, "extension": extension, **extra},
        )
        call.phase = _TRANSFERRED
        if event.target_operator:
            call.operator = event.target_operator  # the one the caller now talks to
        if call.notice or not wait_for_notice:
            events.append(replace(event, notice=call.notice))
            call.notice = ""
        else:
            call.pending_transfer = event
        return events

    def _blind_transfer(self, call: _Call, message: _Headers) -> list[CallEvent]:
        return self._transfer(
            call,
            message,
            context=message.get("Context"),
            extension=message.get("Extension"),
            target_operator="",
            extra={"type": "blind", "is_external": message.get("IsExternal")},
            wait_for_notice=True,
        )

    def _attended_transfer(self, call: _Call, message: _Headers) -> list[CallEvent]:
        target = _clean_number(message.get("TransferTargetCallerIDNum"))
        return self._transfer(
            call,
            message,
            context=message.get("SecondTransfererContext"),
            extension=message.get("SecondTransfererExten"),
            target_operator=target,
            extra={"type": "attended", "dest_type": message.get("DestType")},
            wait_for_notice=False,  # the operator spoke to both before completing it
        )

    def _caller_moves_on(self, call: _Call, message: _Headers) -> list[CallEvent]:
        if call.pending_transfer is not None and message.get("Uniqueid") in call.caller_channels:
            return self._flush(call)
        return []

    # --- hang-up --------------------------------------------------------------------------
    def _hangup(self, call: _Call, message: _Headers) -> list[CallEvent]:
        uniqueid = message.get("Uniqueid")
        if uniqueid not in call.caller_channels and uniqueid != call.call_id:
            return []  # an agent's or a consultation leg: AgentComplete tells about it
        if not call.arrived:
            del self._calls[call.call_id]  # hung up in the IVR: never a call of the line
            return []
        events = self._flush(call)
        if call.phase in _FINISHED:
            return events
        kind = CallEventKind.ENDED if call.phase in _IN_CONVERSATION else CallEventKind.ABANDONED
        call.phase = _ENDED if kind is CallEventKind.ENDED else _ABANDONED
        events.append(
            self._event(
                call,
                message,
                kind,
                queue=call.queue,
                operator=call.operator if kind is CallEventKind.ENDED else "",
                reason="caller",
                extra={"cause": message.get("Cause"), "cause_txt": message.get("Cause-txt")},
            )
        )
        return events


def map_events(
    messages: Iterable[Headers], config: AmiMappingConfig | None = None
) -> list[CallEvent]:
    """All call events of a recorded AMI stream (a convenience for tools and tests)."""
    mapper = AmiMapper(config)
    return [event for message in messages for event in mapper.feed(message)]
