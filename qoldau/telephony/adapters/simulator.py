"""The traffic simulator (the demo's PBX): calls arrive, wait, ring, talk, end and are rated.

- Arrivals are a Poisson process whose rate follows the hour of the day (a morning and an
  afternoon peak, a quiet night: the 1414 line works around the clock, p.6).
- Callers choose Kazakh or Russian in the IVR (``kk_share``) and often a public service.
- A caller who waits longer than their patience (exponential, mean ``patience_mean``) hangs up.
- Handle times are log-normal (mean ``handle_mean`` seconds), as call-center talk times are.
- Simulated operators ("bots": users whose login starts with ``bot_prefix``) accept offers after
  a few seconds of ringing and end their calls after the handle time; a person at the desk
  accepts, transfers and ends calls in the browser, and the simulator obeys the commands the
  router sends through the outbox (``qoldau.telephony.control``), as a real PBX would.
- After a call: a short recording (a generated WAV file) and, from most callers, a keypad rating.

Events go through the same ``call_event_ingest`` as the webhook and AMI adapters.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import random
import struct
import wave
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qoldau.core import clock
from qoldau.core.outbox import Envelope, outbox_deliver_due, outbox_register_transport
from qoldau.routing.enums import ReservationState, WorkChannel
from qoldau.routing.models import Operator, Reservation
from qoldau.routing.services import reservation_accept
from qoldau.telephony.control import CHANNEL
from qoldau.telephony.enums import FINISHED
from qoldau.telephony.models import CallRecord
from qoldau.telephony.ports import CallEvent, CallEventKind

logger = logging.getLogger(__name__)
Sink = Callable[[CallEvent], Any]

# Calls per hour at each local hour, relative to the peak (1.0).
DAY_SHAPE = (
    0.05, 0.03, 0.02, 0.02, 0.03, 0.06, 0.15, 0.35, 0.70, 0.95, 1.00, 0.95,
    0.75, 0.80, 0.95, 1.00, 0.90, 0.70, 0.50, 0.35, 0.25, 0.18, 0.12, 0.08,
)  # fmt: skip
RATING_WEIGHTS = (0.04, 0.04, 0.10, 0.27, 0.55)  # scores 1..5
LINES = ("1414", "1414", "1414", "88000807777")


@dataclass
class SimCall:
    call_id: str
    caller: str
    line: str
    language: str
    service: str
    arrived_at: dt.datetime
    patience: float
    handle: float
    seq: int = 0
    state: str = "waiting"  # waiting, ringing, talking, ended
    extension: str = ""
    answered_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None
    human: bool = False
    after: list[tuple[dt.datetime, str]] = field(default_factory=list)

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq


@dataclass
class SimulatorConfig:
    peak_per_hour: float = 240.0
    day_floor: float = 0.0  # the rate never falls below this share of the peak (the demo's)
    kk_share: float = 0.6
    patience_mean: float = 120.0
    handle_mean: float = 150.0
    handle_sigma: float = 0.5
    rating_share: float = 0.7
    bot_prefix: str = "bot."
    services: tuple[str, ...] = ()
    service_share: float = 0.7
    human_call_limit: float = 20 * 60.0
    recordings_dir: Path | None = None
    recording_seconds_max: int = 4


class Simulator:
    def __init__(self, *, config: SimulatorConfig, sink: Sink, seed: int | None = None) -> None:
        self.config = config
        self.sink = sink
        self.rng = random.Random(seed)  # noqa: S311 (a simulation, not a secret)
        self.calls: dict[str, SimCall] = {}
        self.counter = 0
        self.next_arrival: dt.datetime | None = None
        self.bot_accept_at: dict[int, dt.datetime] = {}

    # --- the PBX's side of the control port -------------------------------------------------
    def transport(self) -> Any:
        simulator = self

        class _Transport:
            def send(self, envelope: Envelope) -> None:
                simulator.command(json.loads(envelope.body))

            def close(self) -> None:
                return None

        return _Transport()

    def command(self, data: dict[str, Any]) -> None:
        call = self.calls.get(str(data.get("call_id", "")))
        if call is None or call.state == "ended":
            return
        now = clock.now()
        kind = data.get("command")
        extension = str(data.get("extension", ""))
        if kind == "offer":
            call.state = "ringing"
            call.extension = extension
            self._emit(call, CallEventKind.OFFERED, operator=extension)
        elif kind == "cancel_offer" and call.extension == extension:
            call.state = "waiting"
            call.extension = ""
        elif kind == "connect":
            self._answer(call, extension, now)
        elif kind == "transfer":
            call.state = "waiting"
            self._emit(
                call,
                CallEventKind.TRANSFERRED,
                operator=call.extension,
                target_queue=str(data.get("queue", "")),
                target_operator=str(data.get("to_extension", "")),
                service=str(data.get("service", "")),
                notice="transfer_notice",
            )
            call.extension = ""
            call.human = False
            call.patience += self.config.patience_mean  # a caller told of a transfer waits on
        elif kind == "hangup":
            self._end(call, now, reason="agent")

    # --- the clock ---------------------------------------------------------------------------
    def step(self, now: dt.datetime | None = None) -> None:
        now = now or clock.now()
        self._arrivals(now)
        outbox_register_transport(CHANNEL, self.transport)
        outbox_deliver_due(channel=CHANNEL, limit=200)
        self._bots(now)
        for call in list(self.calls.values()):
            waited = (now - call.arrived_at).total_seconds()
            if call.state in ("waiting", "ringing") and waited > call.patience:
                self._emit(call, CallEventKind.ABANDONED, reason="caller")
                call.state = "ended"
                call.after.append((now, "forget"))
            elif call.state == "talking" and call.ends_at is not None and now >= call.ends_at:
                self._end(call, now, reason="caller" if self.rng.random() < 0.6 else "agent")
            for moment, what in list(call.after):
                if moment <= now:
                    call.after.remove((moment, what))
                    self._after(call, what, now)

    def _arrivals(self, now: dt.datetime) -> None:
        if self.next_arrival is None:
            self.next_arrival = now + self._gap(now)
        while self.next_arrival <= now:
            self.arrive(self.next_arrival)
            self.next_arrival += self._gap(self.next_arrival)

    def _gap(self, at: dt.datetime) -> dt.timedelta:
        hour = at.astimezone(clock.local_zone()).hour
        share = max(DAY_SHAPE[hour], self.config.day_floor)
        rate = max(self.config.peak_per_hour * share, 1.0) / 3600.0
        return dt.timedelta(seconds=self.rng.expovariate(rate))

    def arrive(
        self, at: dt.datetime, *, caller: str = "", language: str = "", service: str = ""
    ) -> SimCall:
        """A new call at ``at`` (random caller, language and service unless given)."""
        self.counter += 1
        config = self.config
        language = language or ("kk" if self.rng.random() < config.kk_share else "ru")
        if not service and config.services and self.rng.random() < config.service_share:
            service = self.rng.choice(config.services)
        mu = math.log(config.handle_mean) - config.handle_sigma**2 / 2
        call = SimCall(
            call_id=f"sim-{at:%Y%m%d%H%M%S}-{self.counter:05d}",
            caller=caller or self._caller(),
            line=self.rng.choice(LINES),
            language=language,
            service=service,
            arrived_at=at,
            patience=self.rng.expovariate(1 / config.patience_mean) + 5,
            handle=max(20.0, self.rng.lognormvariate(mu, config.handle_sigma)),
        )
        self.calls[call.call_id] = call
        self._emit(
            call,
            CallEventKind.ARRIVED,
            at=at,
            line=call.line,
            caller=call.caller,
            language=language,
            service=service,
        )
        self._emit(call, CallEventKind.QUEUED, at=at, queue=language)
        return call

    def _caller(self) -> str:
        prefix = self.rng.choice(("701", "702", "705", "707", "747", "771", "775", "777", "778"))
        number = f"{prefix}{self.rng.randrange(10**7):07d}"
        style = self.rng.random()
        if style < 0.4:
            return f"8{number}"
        if style < 0.8:
            return f"+7{number}"
        return number

    def _bots(self, now: dt.datetime) -> None:
        pending = Reservation.objects.filter(
            state=ReservationState.PENDING,
            channel=WorkChannel.VOICE,
            operator__user__username__startswith=self.config.bot_prefix,
        ).select_related("operator__user", "task")
        seen: set[int] = set()
        for reservation in pending:
            seen.add(reservation.pk)
            due = self.bot_accept_at.setdefault(
                reservation.pk, now + dt.timedelta(seconds=self.rng.uniform(1.0, 4.0))
            )
            if due <= now:
                try:
                    reservation_accept(
                        actor=reservation.operator.user, reservation_id=reservation.pk
                    )
                except Exception:  # the offer closed meanwhile (the caller hung up)
                    logger.debug("simulator: offer %s closed", reservation.pk)
        for stale in set(self.bot_accept_at) - seen:
            self.bot_accept_at.pop(stale, None)

    def _answer(self, call: SimCall, extension: str, now: dt.datetime) -> None:
        call.state = "talking"
        call.extension = extension
        call.answered_at = now
        call.human = not self._is_bot(extension)
        limit = self.config.human_call_limit if call.human else call.handle
        call.ends_at = now + dt.timedelta(seconds=limit)
        self._emit(call, CallEventKind.ANSWERED, operator=extension)

    def _is_bot(self, extension: str) -> bool:
        return Operator.objects.filter(
            extension=extension, user__username__startswith=self.config.bot_prefix
        ).exists()

    def _end(self, call: SimCall, now: dt.datetime, *, reason: str) -> None:
        if call.state != "talking":
            self._emit(call, CallEventKind.ABANDONED, reason=reason)
            call.state = "ended"
            call.after.append((now, "forget"))
            return
        self._emit(call, CallEventKind.ENDED, reason=reason)
        call.state = "ended"
        call.after.append((now + dt.timedelta(seconds=1), "recording"))
        if self.rng.random() < self.config.rating_share:
            call.after.append((now + dt.timedelta(seconds=self.rng.uniform(3, 8)), "rating"))
        call.after.append((now + dt.timedelta(seconds=10), "forget"))

    def _after(self, call: SimCall, what: str, now: dt.datetime) -> None:
        if what == "recording":
            talk = (now - (call.answered_at or now)).total_seconds()
            path = self._recording(call, talk)
            if path is not None:
                self._emit(
                    call,
                    CallEventKind.RECORDING,
                    recording_uri=path.as_uri(),
                    recording_seconds=int(talk),
                )
        elif what == "rating":
            score = self.rng.choices(range(1, 6), weights=RATING_WEIGHTS)[0]
            self._emit(call, CallEventKind.RATING, rating=score)
        elif what == "forget":
            self.calls.pop(call.call_id, None)

    def _recording(self, call: SimCall, talk: float) -> Path | None:
        """A short 8 kHz WAV standing for the conversation (a quiet two-tone hum)."""
        folder = self.config.recordings_dir
        if folder is None:
            return None
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{call.call_id}.wav"
        seconds = max(1, min(int(talk), self.config.recording_seconds_max))
        rate = 8000
        frames = bytearray()
        for n in range(rate * seconds):
            value = 0.2 * math.sin(2 * math.pi * 220 * n / rate)
            value += 0.1 * math.sin(2 * math.pi * 330 * n / rate)
            frames += struct.pack("<h", int(value * 32767))
        with wave.open(str(path), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(rate)
            out.writeframes(bytes(frames))
        return path

    def _emit(
        self, call: SimCall, kind: CallEventKind, at: dt.datetime | None = None, **fields: Any
    ) -> None:
        event = CallEvent(
            call_id=call.call_id,
            seq=call.next_seq(),
            kind=kind,
            at=at or clock.now(),
            source="simulator",
            **fields,
        )
        try:
            self.sink(event)
        except Exception:
            logger.exception("simulator: event %s of %s was not taken", kind, call.call_id)


def simulator_close_orphans(*, sink: Sink) -> int:
    """Calls a previous simulator run left open (it was stopped): end them, so the wallboard and
    the router do not wait for them forever."""
    closed = 0
    for call in CallRecord.objects.filter(source="simulator").exclude(state__in=FINISHED):
        kind = CallEventKind.ENDED if call.answered_at else CallEventKind.ABANDONED
        sink(
            CallEvent(
                call_id=call.call_id,
                seq=call.last_seq + 1,
                kind=kind,
                at=clock.now(),
                source="simulator",
                reason="simulator_restart",
            )
        )
        closed += 1
    return closed


def simulator_backfill(
    *,
    sink: Sink,
    hours: float,
    extensions: list[str],
    config: SimulatorConfig,
    seed: int = 1414,
    now: dt.datetime | None = None,
) -> int:
    """Calls of the last ``hours``, finished, for the demo's wallboard and quality figures: the
    same arrival, wait, handle-time and rating model, answered by ``extensions``. Returns the
    number of calls made. Events are in the past, so the router only follows them."""
    if not extensions:
        return 0
    rng = random.Random(seed)  # noqa: S311 (a simulation, not a secret)
    end = now or clock.now()
    moment = end - dt.timedelta(hours=hours)
    mu = math.log(config.handle_mean) - config.handle_sigma**2 / 2
    made = 0
    while True:
        hour = moment.astimezone(clock.local_zone()).hour
        share = max(DAY_SHAPE[hour], config.day_floor)
        moment += dt.timedelta(seconds=rng.expovariate(config.peak_per_hour * share / 3600.0))
        wait = rng.expovariate(1 / 18.0)
        handle = max(20.0, rng.lognormvariate(mu, config.handle_sigma))
        if moment + dt.timedelta(seconds=wait + handle + 10) >= end:
            break
        made += 1
        call_id = f"sim-{moment:%Y%m%d%H%M%S}-h{made:05d}"
        language = "kk" if rng.random() < config.kk_share else "ru"
        service = ""
        if config.services and rng.random() < config.service_share:
            service = rng.choice(config.services)
        caller = (
            f"+77{rng.choice(('01', '02', '05', '07', '47', '71', '77'))}{rng.randrange(10**7):07d}"
        )
        steps: list[tuple[float, CallEventKind, dict[str, Any]]] = [
            (0.0, CallEventKind.ARRIVED, {"line": rng.choice(LINES), "caller": caller,
                                          "language": language, "service": service}),
            (0.5, CallEventKind.QUEUED, {"queue": language}),
        ]  # fmt: skip
        if wait > rng.expovariate(1 / config.patience_mean) + 5:
            steps.append((wait, CallEventKind.ABANDONED, {"reason": "caller"}))
        else:
            extension = rng.choice(extensions)
            steps += [
                (
                    wait - 2 if wait > 2 else wait / 2,
                    CallEventKind.OFFERED,
                    {"operator": extension},
                ),
                (wait, CallEventKind.ANSWERED, {"operator": extension}),
                (wait + handle, CallEventKind.ENDED, {"reason": "caller"}),
            ]
            if rng.random() < config.rating_share:
                score = rng.choices(range(1, 6), weights=RATING_WEIGHTS)[0]
                steps.append((wait + handle + 5, CallEventKind.RATING, {"rating": score}))
        for seq, (offset, kind, fields) in enumerate(steps, start=1):
            sink(
                CallEvent(
                    call_id=call_id,
                    seq=seq,
                    kind=kind,
                    at=moment + dt.timedelta(seconds=offset),
                    source="simulator",
                    **fields,
                )
            )
    return made
