"""The Asterisk AMI adapter over real TCP against the AMI peer (ami_peer.py): exact call events,
order, identity, reconnects, refused logins and malformed input. No sleeps: every wait is on an
event, with a timeout."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import pytest

from qoldau.telephony.adapters.ami import AmiListener, AmiLoginError
from qoldau.telephony.adapters.ami_mapping import AmiMapper, map_events
from qoldau.telephony.ports import CallEvent, CallEventKind
from qoldau.telephony.tests import ami_peer
from qoldau.telephony.tests.ami_peer import DROP, AmiPeer, Clock, Pbx, Scripted, Step
from qoldau.telephony.tests.threads import in_fresh_thread

TIMEOUT = 10.0
K = CallEventKind


class RecordingSink:
    """Keeps what it is given; ``wait_for`` returns once a matching event has arrived."""

    def __init__(self) -> None:
        self.events: list[CallEvent] = []
        self._changed = asyncio.Condition()

    async def __call__(self, event: CallEvent) -> None:
        async with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    async def wait_for(self, predicate: Callable[[list[CallEvent]], bool]) -> None:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: predicate(self.events)), TIMEOUT)


def run(coro: Awaitable[Any]) -> Any:
    async def bounded() -> Any:
        return await asyncio.wait_for(coro, TIMEOUT * 2)

    return in_fresh_thread(lambda: asyncio.run(bounded()), timeout=TIMEOUT * 3)


def listener_for(peer: AmiPeer, sink: Any, **options: Any) -> AmiListener:
    options = {"backoff_initial": 0.01, "backoff_max": 0.05, **options}
    return AmiListener(
        host="127.0.0.1",
        port=peer.port,
        username="qoldau",
        secret="s3cret",
        sink=sink,
        **options,
    )


async def collect(
    scripts: list[list[Step]],
    barrier_id: str,
    *,
    version: str = "20",
    deaf: set[int] | None = None,
    chunk: int = 0,
    **options: Any,
) -> tuple[list[CallEvent], AmiPeer]:
    """Play the scripts (one per connection), wait for the barrier call, return the events."""
    peer = AmiPeer(scripts=scripts, version=version, deaf=deaf or set(), chunk=chunk)
    async with peer:
        sink = RecordingSink()
        listener = listener_for(peer, sink, **options)
        task = asyncio.create_task(listener.run())
        await sink.wait_for(lambda events: any(e.call_id == barrier_id for e in events))
        listener.stop()
        await asyncio.wait_for(task, TIMEOUT)
    return [e for e in sink.events if e.call_id != barrier_id], peer


def script(pbx: Pbx, *calls: Scripted | Sequence[Step]) -> tuple[list[Step], str]:
    steps: list[Step] = []
    for call in calls:
        if isinstance(call, Scripted):
            steps.extend(call.events)
        else:
            steps.extend(call)
    end = ami_peer.barrier(pbx)
    return [*steps, *end.events], end.call_id


def summary(events: list[CallEvent]) -> list[tuple[str, ...]]:
    return [
        (e.call_id, e.kind.value, e.queue, e.operator, e.target_queue or e.target_operator)
        for e in events
    ]


def assert_ordered(events: list[CallEvent]) -> None:
    by_call: dict[str, list[int]] = {}
    for event in events:
        by_call.setdefault(event.call_id, []).append(event.seq)
        assert event.source == "ami"
        assert event.at.tzinfo is not None
        assert event.at.utcoffset() == dt.timedelta(0)
    for seqs in by_call.values():
        assert seqs == sorted(set(seqs)), "seq must be strictly increasing per call"
    keys = [(e.call_id, e.seq) for e in events]
    assert len(keys) == len(set(keys)), "an event was delivered twice"


# --- calls as Asterisk 18 and 20 send them ------------------------------------------------------
@pytest.mark.parametrize("version", ["18", "20"])
def test_answered_call(version: str) -> None:
    pbx = Pbx()
    call = ami_peer.answered_call(pbx)
    steps, end = script(pbx, call)
    events, peer = run(collect([steps], end, version=version))

    cid = call.call_id
    assert summary(events) == [
        (cid, "arrived", "", "", ""),
        (cid, "queued", "general", "", ""),
        (cid, "offered", "general", "PJSIP/1001", ""),
        (cid, "answered", "general", "PJSIP/1001", ""),
        (cid, "ended", "general", "PJSIP/1001", ""),
    ]
    arrived, queued, offered, answered, ended = events
    # The line is the dialled extension (Newchannel), not the IVR's "s".
    assert (arrived.line, arrived.caller, arrived.language, arrived.service) == (
        "1414",
        "+77011234567",
        "kk",
        "00012",
    )
    assert (queued.language, queued.service) == ("kk", "00012")
    assert offered.extra["member_name"] == "Aidos"
    assert (answered.extra["holdtime"], answered.extra["ringtime"]) == (12, 3)
    assert (ended.reason, ended.extra["talktime"]) == ("caller", 95)
    # seq is the Timestamp header in microseconds; arrived and queued share one AMI event.
    assert queued.seq == arrived.seq + 1
    assert ended.at == dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=ended.seq)
    assert_ordered(events)
    assert (peer.logins, peer.failed_logins) == (1, 0)


def test_abandoned_call() -> None:
    pbx = Pbx()
    call = ami_peer.abandoned_call(pbx)
    steps, end = script(pbx, call)
    events, _ = run(collect([steps], end))

    cid = call.call_id
    assert summary(events) == [
        (cid, "arrived", "", "", ""),
        (cid, "queued", "general", "", ""),
        (cid, "offered", "general", "PJSIP/1001", ""),
        (cid, "abandoned", "general", "", ""),
    ]
    assert events[0].language == "ru"
    assert (events[-1].reason, events[-1].extra["holdtime"]) == ("caller", 40)
    assert_ordered(events)


def test_blind_transfer_to_another_queue_with_notice() -> None:
    pbx = Pbx()
    call = ami_peer.blind_transfer_to_queue(pbx)
    steps, end = script(pbx, call)
    events, _ = run(collect([steps], end))

    cid = call.call_id
    assert summary(events) == [
        (cid, "arrived", "", "", ""),
        (cid, "queued", "general", "", ""),
        (cid, "offered", "general", "PJSIP/1001", ""),
        (cid, "answered", "general", "PJSIP/1001", ""),
        (cid, "transferred", "general", "PJSIP/1001", "business"),
        (cid, "queued", "business", "", ""),
        (cid, "offered", "business", "PJSIP/1002", ""),
        (cid, "answered", "business", "PJSIP/1002", ""),
        (cid, "ended", "business", "PJSIP/1002", ""),
    ]
    transferred = events[4]
    assert (transferred.target_queue, transferred.target_operator) == ("business", "")
    assert transferred.notice == "transfer_notice"
    assert transferred.extra["type"] == "blind"
    assert events[-1].reason == "agent"
    assert [e.kind for e in events].count(K.ARRIVED) == 1
    assert_ordered(events)


def test_attended_transfer_to_an_operator() -> None:
    pbx = Pbx()
    call = ami_peer.attended_transfer(pbx)
    steps, end = script(pbx, call)
    events, _ = run(collect([steps], end))

    cid = call.call_id
    assert summary(events) == [
        (cid, "arrived", "", "", ""),
        (cid, "queued", "general", "", ""),
        (cid, "offered", "general", "PJSIP/1001", ""),
        (cid, "answered", "general", "PJSIP/1001", ""),
        (cid, "transferred", "general", "PJSIP/1001", "1002"),
        # The caller hangs up on 1002: the call ends then, not at the transfer.
        (cid, "ended", "general", "1002", ""),
    ]
    transferred = events[4]
    assert (transferred.target_operator, transferred.target_queue) == ("1002", "")
    assert transferred.extra["type"] == "attended"
    assert (events[-1].reason, events[-1].extra["cause"]) == ("caller", "16")
    assert_ordered(events)


def test_recording_and_rating() -> None:
    pbx = Pbx()
    call = ami_peer.recorded_and_rated_call(pbx)
    steps, end = script(pbx, call)
    events, _ = run(collect([steps], end))

    assert [e.kind for e in events] == [
        K.ARRIVED,
        K.QUEUED,
        K.OFFERED,
        K.ANSWERED,
        K.RECORDING,
        K.ENDED,
        K.RATING,  # once: the same digit again as a UserEvent is not a second rating
    ]
    recording, rating = events[4], events[6]
    assert recording.recording_uri == f"/var/spool/asterisk/monitor/{call.call_id}.wav"
    assert rating.rating == 5
    assert {e.call_id for e in events} == {call.call_id}
    assert_ordered(events)


def test_two_concurrent_calls_interleaved() -> None:
    first = Pbx(epoch=1764806400)
    second = Pbx(clock=Clock(micros=first.clock.micros + 100_000), epoch=1764806401)
    a = ami_peer.answered_call(first, "+77011111111", interface="PJSIP/1001", member="Aidos")
    b = ami_peer.answered_call(
        second,
        "+77012222222",
        queue="business",
        interface="PJSIP/1002",
        language="ru",
        service="00099",
        channelvars=True,
    )
    mixed = ami_peer.interleave(a.events, b.events)
    assert mixed != a.events + b.events  # really interleaved
    steps, end = script(first, mixed)
    events, _ = run(collect([steps], end))

    for call, queue, operator in [(a, "general", "PJSIP/1001"), (b, "business", "PJSIP/1002")]:
        own = [e for e in events if e.call_id == call.call_id]
        assert [(e.kind.value, e.queue, e.operator) for e in own] == [
            ("arrived", "", ""),
            ("queued", queue, ""),
            ("offered", queue, operator),
            ("answered", queue, operator),
            ("ended", queue, operator),
        ]
        assert own[0].caller == call.caller.number
    arrived = {e.call_id: e for e in events if e.kind is K.ARRIVED}
    arrived_a, arrived_b = arrived[a.call_id], arrived[b.call_id]
    assert (arrived_a.language, arrived_a.service) == ("kk", "00012")  # from VarSet
    assert (arrived_b.language, arrived_b.service) == ("ru", "00099")  # from ChanVariable
    assert len(events) == 10
    assert [e.call_id for e in events] != [a.call_id] * 5 + [b.call_id] * 5
    assert_ordered(events)


def test_a_duplicated_event_is_delivered_once() -> None:
    pbx = Pbx()
    call = ami_peer.answered_call(pbx)
    join, connect = call.events[3], call.events[6]
    assert dict(join)["Event"] == "QueueCallerJoin"
    assert dict(connect)["Event"] == "AgentConnect"
    doubled = [*call.events[:7], connect, join, *call.events[7:]]
    steps, end = script(pbx, doubled)
    events, _ = run(collect([steps], end))

    assert [e.kind for e in events] == [K.ARRIVED, K.QUEUED, K.OFFERED, K.ANSWERED, K.ENDED]
    assert_ordered(events)


def test_reconnect_mid_call_loses_and_repeats_nothing() -> None:
    pbx = Pbx()
    call = ami_peer.answered_call(pbx)
    # The link drops after AgentConnect; after the reconnect Asterisk's stream goes on, and the
    # two events before the drop come again (a replay by a proxy or a restarted relay).
    before, after = call.events[:7], call.events[7:]
    first: list[Step] = [*before, DROP]
    steps, end = script(pbx, [*before[-2:], *after])
    events, peer = run(collect([first, steps], end))

    assert [e.kind for e in events] == [K.ARRIVED, K.QUEUED, K.OFFERED, K.ANSWERED, K.ENDED]
    assert {e.call_id for e in events} == {call.call_id}
    assert_ordered(events)
    assert peer.logins == 2


def test_a_link_that_stops_answering_ping_is_reconnected() -> None:
    """After the login the first connection goes deaf (a hung Asterisk, a half-open link): the
    unanswered Ping makes the listener reconnect, and the call goes on over the second one."""
    pbx = Pbx()
    call = ami_peer.answered_call(pbx)
    first: list[Step] = list(call.events[:5])
    steps, end = script(pbx, call.events[5:])
    events, peer = run(collect([first, steps], end, deaf={0}, ping_interval=0.2, ping_timeout=0.2))

    assert [e.kind for e in events] == [K.ARRIVED, K.QUEUED, K.OFFERED, K.ANSWERED, K.ENDED]
    assert peer.logins == 2
    assert any(a.get("action") == "Ping" for a in peer.actions)
    assert_ordered(events)


def test_the_listener_retries_until_asterisk_listens() -> None:
    """Nothing listens at first: the listener backs off and connects once Asterisk is up."""

    async def scenario() -> tuple[list[CallEvent], str, int]:
        pbx = Pbx()
        call = ami_peer.answered_call(pbx)
        steps, end = script(pbx, call)
        async with AmiPeer() as gone:
            port = gone.port  # a port where nothing listens any more
        sink = RecordingSink()
        listener = AmiListener(
            host="127.0.0.1",
            port=port,
            username="qoldau",
            secret="s3cret",
            sink=sink,
            backoff_initial=0.01,
            backoff_max=0.05,
        )
        task = asyncio.create_task(listener.run())
        await asyncio.wait_for(listener.wait_for_attempts(3), TIMEOUT)  # refused three times
        async with AmiPeer(scripts=[steps], port=port):
            await sink.wait_for(lambda events: any(e.call_id == end for e in events))
            listener.stop()
            await asyncio.wait_for(task, TIMEOUT)
        assert listener.logins == 1
        return [e for e in sink.events if e.call_id != end], call.call_id, listener.attempts

    events, call_id, attempts = run(scenario())
    assert [e.kind for e in events] == [K.ARRIVED, K.QUEUED, K.OFFERED, K.ANSWERED, K.ENDED]
    assert {e.call_id for e in events} == {call_id}
    assert attempts >= 4


def test_messages_split_across_reads_are_read_whole(caplog: pytest.LogCaptureFixture) -> None:
    """Written 7 bytes at a time: a header, a message end and a Kazakh name in UTF-8 are cut
    between reads, and still nothing is lost or garbled."""
    pbx = Pbx()
    call = ami_peer.answered_call(pbx, "+77014443322", caller_name="Әйгерім Нұрланқызы")
    assert "Әйгерім".encode() in b"".join(ami_peer.encode(e) for e in call.events)
    steps, end = script(pbx, call)
    names: list[Any] = []

    class Spy(AmiMapper):
        def feed(self, headers: Any) -> list[CallEvent]:
            names.append(headers.get("CallerIDName"))
            return super().feed(headers)

    with caplog.at_level(logging.WARNING, logger="qoldau.telephony.adapters"):
        events, _ = run(collect([steps], end, chunk=7, mapper=Spy()))

    assert [e.kind for e in events] == [K.ARRIVED, K.QUEUED, K.OFFERED, K.ANSWERED, K.ENDED]
    assert events[0].caller == "+77014443322"
    assert names.count("Әйгерім Нұрланқызы") >= 6  # every event of the caller's channel
    assert [r.getMessage() for r in caplog.records] == []
    assert_ordered(events)


# --- refusals and malformed input ---------------------------------------------------------------
def test_a_refused_login_is_a_clear_error_and_not_retried() -> None:
    async def scenario() -> AmiPeer:
        async with AmiPeer(secret="another") as peer:
            listener = listener_for(peer, RecordingSink())
            with pytest.raises(AmiLoginError) as refused:
                await asyncio.wait_for(listener.run(), TIMEOUT)
            assert str(refused.value) == (
                f"Asterisk at 127.0.0.1:{peer.port} refused the AMI login of 'qoldau': "
                "Authentication failed"
            )
        return peer

    peer = run(scenario())
    assert (peer.logins, peer.failed_logins) == (0, 1)


def test_malformed_lines_are_skipped_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    pbx = Pbx()
    call = ami_peer.answered_call(pbx)
    garbage: list[Step] = [
        b"Event: Newexten\r\nthis line has no colon\r\nChannel: PJSIP/x-1\r\n\r\n",
        b"Foo: bar\r\nBaz: qux\r\n\r\n",  # neither an Event nor a Response
        b"\xff\xfe\x00\r\n\r\n",  # not text
        [("Event", "QueueCallerJoin"), ("Queue", "general")],  # no Linkedid, no Uniqueid
        [("Event", "AgentConnect"), ("Linkedid", "unknown.1"), ("Timestamp", "x.y")],
    ]
    # A malformed line inside a real event: the rest of the event still counts.
    join = [*call.events[3][:5], ("Garbage line", ""), *call.events[3][5:]]
    raw_join = ami_peer.encode(join).replace(b"Garbage line: \r\n", b"Garbage line\r\n")
    steps, end = script(pbx, garbage, [*call.events[:3], raw_join, *call.events[4:]])
    with caplog.at_level(logging.INFO, logger="qoldau.telephony.adapters"):
        events, _ = run(collect([steps], end))

    assert [e.kind for e in events] == [K.ARRIVED, K.QUEUED, K.OFFERED, K.ANSWERED, K.ENDED]
    assert events[0].caller == "+77011234567"
    messages = [r.getMessage() for r in caplog.records]
    assert "Malformed AMI line skipped: 'this line has no colon'" in messages
    assert "Malformed AMI line skipped: 'Garbage line'" in messages
    assert "AMI message without Event or Response skipped: 'Foo: bar'" in messages
    assert "AMI QueueCallerJoin without Linkedid or Uniqueid skipped" in messages
    assert_ordered(events)


# --- without timestampevents, and the sink ------------------------------------------------------
def test_without_timestamps_seq_follows_the_time_of_receipt() -> None:
    moments = iter(
        dt.datetime(2025, 12, 4, 5, 0, tzinfo=dt.UTC) + dt.timedelta(seconds=n) for n in range(99)
    )
    pbx = Pbx(clock=Clock(enabled=False))
    call = ami_peer.answered_call(pbx)
    steps, end = script(pbx, call)
    mapper = AmiMapper(clock=lambda: next(moments))
    events, _ = run(collect([steps], end, mapper=mapper))

    assert [e.kind for e in events] == [K.ARRIVED, K.QUEUED, K.OFFERED, K.ANSWERED, K.ENDED]
    assert all("Timestamp" not in dict(e) for e in call.events)
    assert_ordered(events)


def test_a_failing_sink_is_retried_and_a_sync_sink_is_called() -> None:
    delivered: list[CallEvent] = []
    failures = {"left": 2}

    async def scenario() -> str:
        pbx = Pbx()
        steps, end = script(pbx, ami_peer.abandoned_call(pbx))
        seen_end = asyncio.Event()

        def flaky(event: CallEvent) -> None:  # a plain function, as call_event_ingest is
            if failures["left"]:
                failures["left"] -= 1
                raise RuntimeError("database is locked")
            delivered.append(event)
            if event.call_id == end:
                seen_end.set()

        async with AmiPeer(scripts=[steps]) as peer:
            listener = listener_for(peer, flaky)
            task = asyncio.create_task(listener.run())
            await asyncio.wait_for(seen_end.wait(), TIMEOUT)
            listener.stop()
            await asyncio.wait_for(task, TIMEOUT)
        return end

    end = run(scenario())
    kinds = [e.kind for e in delivered if e.call_id != end]
    assert kinds == [K.ARRIVED, K.QUEUED, K.OFFERED, K.ABANDONED]
    assert failures["left"] == 0


# --- the mapping alone --------------------------------------------------------------------------
def _headers(event: ami_peer.Event) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in event:
        out.setdefault(key, []).append(value)
    return {k: v[0] if len(v) == 1 else v for k, v in out.items()}


def test_hangup_decides_between_ended_and_abandoned_and_is_ignored_after_the_end() -> None:
    pbx = Pbx()
    caller = pbx.caller("+77013334455")
    waiting = [pbx.newchannel(caller), pbx.queue_join(caller, "general"), pbx.hangup(caller)]
    kinds = [e.kind for e in map_events(_headers(e) for e in waiting)]
    assert kinds == [K.ARRIVED, K.QUEUED, K.ABANDONED]

    talking = ami_peer.answered_call(pbx)
    without_complete = [e for e in talking.events if dict(e)["Event"] != "AgentComplete"]
    mapped = map_events(_headers(e) for e in without_complete)
    assert [(e.kind, e.reason) for e in mapped][-1] == (K.ENDED, "caller")
    assert mapped[-1].extra["asterisk_event"] == "Hangup"

    after_end = map_events(_headers(e) for e in talking.events)  # AgentComplete, then Hangup
    assert [e.kind for e in after_end].count(K.ENDED) == 1


def test_channel_variables_and_a_missed_agent_connect() -> None:
    """Language and service from manager.conf channelvars (ChanVariable headers); an
    AgentComplete whose AgentConnect was missed still tells that the call was answered."""
    pbx = Pbx()
    caller = pbx.caller("+77019998877")
    caller.variables = {
        "QOLDAU_LANG": "EN",
        "QOLDAU_SERVICE": "00077",
        "QOLDAU_LINE": "88000807777",
    }
    agent = pbx.agent_leg(caller, "PJSIP/1004")
    stream = [
        pbx.newchannel(caller),
        pbx.queue_join(caller, "general"),
        pbx.agent_complete(caller, agent, "general", "Saule", hold=5, talk=50, reason="agent"),
    ]
    events = map_events(_headers(e) for e in stream)
    assert [e.kind for e in events] == [K.ARRIVED, K.QUEUED, K.ANSWERED, K.ENDED]
    assert (events[0].language, events[0].service, events[0].line) == ("en", "00077", "88000807777")
    assert events[2].operator == events[3].operator == "PJSIP/1004"


def test_seq_stays_strictly_increasing_when_timestamps_repeat_or_go_back() -> None:
    pbx = Pbx(clock=Clock(step=0))  # every event at the same microsecond
    call = ami_peer.answered_call(pbx)
    events = map_events(_headers(e) for e in call.events)
    seqs = [e.seq for e in events]
    assert seqs == list(range(seqs[0], seqs[0] + 5))

    pbx = Pbx(clock=Clock(step=-1000))  # clocks that step back
    events = map_events(_headers(e) for e in ami_peer.answered_call(pbx).events)
    assert [e.seq for e in events] == sorted({e.seq for e in events})


def test_a_rating_that_is_not_a_digit_is_skipped(caplog: pytest.LogCaptureFixture) -> None:
    pbx = Pbx()
    call = ami_peer.answered_call(pbx)
    stream = [*call.events[:-1], pbx.user_event(call.caller, "QoldauRating", Rating="*")]
    stream.append(pbx.user_event(call.caller, "QoldauRating", Rating="4"))
    with caplog.at_level(logging.WARNING, logger="qoldau.telephony.adapters"):
        events = map_events(_headers(e) for e in stream)
    assert [(e.kind, e.rating) for e in events][-1] == (K.RATING, 4)
    assert [e.kind for e in events].count(K.RATING) == 1
    assert any("is not a keypad digit" in r.getMessage() for r in caplog.records)
