"""The telephony port (R16): every PBX speaks to Qoldau in one vocabulary of call events.

Adapters turn what their PBX says into ``CallEvent`` values and hand them to
``telephony.services.call_event_ingest``:

- ``adapters.webhook``: the HTTP CTI webhook any PBX can call (HMAC-signed; docs/telephony.md);
- ``adapters.ami``: Asterisk's manager interface (AMI) through ``panoramisk``;
- ``adapters.simulator``: simulated traffic for the demo.

Events are idempotent by ``(call_id, seq)``: a PBX may send one twice or out of order, and the
call record is rebuilt from its events in sequence order, so neither corrupts it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol


class CallEventKind(StrEnum):
    ARRIVED = "arrived"  # the call reached the line (after the IVR: language, service chosen)
    QUEUED = "queued"  # it waits in a queue for an operator
    OFFERED = "offered"  # an operator's phone rings
    ANSWERED = "answered"  # an operator picked up
    TRANSFERRED = "transferred"  # passed to another operator or queue, the caller told
    ENDED = "ended"  # the conversation ended (either side hung up)
    ABANDONED = "abandoned"  # the caller hung up before anyone answered
    RECORDING = "recording"  # the recording of the conversation is available
    RATING = "rating"  # the caller's keypad score after the conversation (p.13)


@dataclass(frozen=True)
class CallEvent:
    """One thing that happened to a call, as the PBX saw it.

    ``seq`` orders the events of one call (strictly increasing as the PBX emits them); together
    with ``call_id`` it makes an event idempotent. ``at`` is aware. Optional fields are empty when
    the event kind does not carry them.
    """

    call_id: str
    seq: int
    kind: CallEventKind
    at: dt.datetime
    source: str = "webhook"  # webhook, ami, simulator
    line: str = ""  # the dialled line: "1414", "88000807777"
    caller: str = ""  # the caller's number as the PBX gives it (normalised on ingest)
    language: str = ""  # chosen in the IVR: kk, ru, en
    service: str = ""  # the public service's register number, where the IVR asked
    queue: str = ""  # the PBX's queue name
    operator: str = ""  # the operator's extension or login ("1001", "PJSIP/1001", "aidos")
    target_operator: str = ""  # TRANSFERRED: to whom
    target_queue: str = ""  # TRANSFERRED: to which queue
    notice: str = ""  # TRANSFERRED: what the caller was told ("transfer_notice" played)
    recording_uri: str = ""  # RECORDING: where the PBX keeps the file
    recording_seconds: int | None = None
    rating: int | None = None  # RATING: the keypad digit as received (checked on ingest)
    reason: str = ""  # ENDED/ABANDONED: who hung up, the PBX's cause
    extra: dict[str, Any] = field(default_factory=dict)


class CallEventSink(Protocol):
    """Where adapters deliver events: ``telephony.services.call_event_ingest`` in the product."""

    def __call__(self, event: CallEvent) -> Any: ...
