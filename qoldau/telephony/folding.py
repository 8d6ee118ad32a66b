"""The call record as a fold of its events in sequence order (pure: no database).

Whatever order the events arrived in, the record is what their sequence says; a duplicate was
never stored twice. Events that make no sense where they fall (an answer after the end) are
skipped and named in ``anomalies``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from qoldau.telephony.enums import CallState
from qoldau.telephony.ports import CallEventKind

AFTER_END_OK = frozenset({CallEventKind.RECORDING, CallEventKind.RATING})


@dataclass(frozen=True)
class FoldEvent:
    seq: int
    kind: str
    at: dt.datetime
    payload: dict[str, object]

    def text(self, key: str) -> str:
        value = self.payload.get(key)
        return str(value) if value not in (None, "") else ""


@dataclass
class TransferFact:
    seq: int
    at: dt.datetime
    from_operator: str
    to_operator: str
    to_queue: str
    notice: str


@dataclass
class CallFacts:
    state: str = CallState.ARRIVED
    line: str = ""
    caller_raw: str = ""
    language: str = ""
    service: str = ""
    queue: str = ""
    arrived_at: dt.datetime | None = None
    queued_at: dt.datetime | None = None
    offered_at: dt.datetime | None = None
    answered_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    abandoned: bool = False
    operator: str = ""
    rating: int | None = None
    rated_at: dt.datetime | None = None
    recording_uri: str = ""
    recording_seconds: int | None = None
    ended_reason: str = ""
    last_seq: int = 0
    transfers: list[TransferFact] = field(default_factory=list)
    anomalies: list[str] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        return self.state in (CallState.ENDED, CallState.ABANDONED)

    @property
    def wait_seconds(self) -> float | None:
        if self.arrived_at is None:
            return None
        if self.answered_at is not None:
            return max(0.0, (self.answered_at - self.arrived_at).total_seconds())
        if self.abandoned and self.ended_at is not None:
            return max(0.0, (self.ended_at - self.arrived_at).total_seconds())
        return None

    @property
    def talk_seconds(self) -> float | None:
        if self.answered_at is None or self.ended_at is None or self.abandoned:
            return None
        return max(0.0, (self.ended_at - self.answered_at).total_seconds())


def fold(events: Iterable[FoldEvent]) -> CallFacts:
    facts = CallFacts()
    for event in sorted(events, key=lambda e: e.seq):
        facts.last_seq = max(facts.last_seq, event.seq)
        if facts.arrived_at is None or (
            event.kind == CallEventKind.ARRIVED and event.at < facts.arrived_at
        ):
            facts.arrived_at = event.at
        facts.line = facts.line or event.text("line")
        facts.caller_raw = facts.caller_raw or event.text("caller")
        facts.language = event.text("language") or facts.language
        facts.service = event.text("service") or facts.service
        if facts.finished and event.kind not in AFTER_END_OK:
            if event.kind not in (CallEventKind.ENDED, CallEventKind.ABANDONED):
                facts.anomalies.append(f"after_end:{event.kind}:{event.seq}")
            continue
        _apply(facts, event)
    return facts


def _apply(facts: CallFacts, event: FoldEvent) -> None:
    kind = event.kind
    if kind == CallEventKind.QUEUED:
        facts.queued_at = facts.queued_at or event.at
        facts.queue = event.text("queue") or facts.queue
        facts.state = CallState.QUEUED
    elif kind == CallEventKind.OFFERED:
        facts.offered_at = facts.offered_at or event.at
        facts.state = CallState.OFFERED
    elif kind == CallEventKind.ANSWERED:
        facts.answered_at = facts.answered_at or event.at
        facts.operator = event.text("operator") or facts.operator
        facts.state = CallState.TALKING
    elif kind == CallEventKind.TRANSFERRED:
        facts.transfers.append(
            TransferFact(
                seq=event.seq,
                at=event.at,
                from_operator=event.text("operator") or facts.operator,
                to_operator=event.text("target_operator"),
                to_queue=event.text("target_queue"),
                notice=event.text("notice"),
            )
        )
        if event.text("target_queue"):
            facts.queue = event.text("target_queue")
        facts.state = CallState.QUEUED
    elif kind in (CallEventKind.ENDED, CallEventKind.ABANDONED):
        facts.ended_at = event.at
        facts.ended_reason = event.text("reason")[:40]
        if kind == CallEventKind.ABANDONED or facts.answered_at is None:
            facts.abandoned = True
            facts.state = CallState.ABANDONED
        else:
            facts.state = CallState.ENDED
    elif kind == CallEventKind.RECORDING:
        facts.recording_uri = event.text("recording_uri")
        seconds = event.payload.get("recording_seconds")
        facts.recording_seconds = int(seconds) if isinstance(seconds, int | float) else None
    elif kind == CallEventKind.RATING:
        value = event.payload.get("rating")
        if isinstance(value, int) and not isinstance(value, bool):
            facts.rating = value
            facts.rated_at = event.at
