"""Answer-time figures of the 1414 line (R16, R19): pure reads of call records and presence.

Definitions (one place, used by the wallboard, the quality page and the benchmark):

- a call belongs to a period by the moment it **arrived** (``[start, end)``);
- **answered**: not abandoned and with a wait (``wait_seconds`` is arrival → answer);
- **abandoned**: the caller hung up before an answer (``wait_seconds`` is arrival → hang-up);
- **average speed of answer (ASA)**: the mean wait of the answered calls;
- **service level**: the calls answered within the target of Rules p.7 (a wait of at most the
  target, so exactly 30 s is within) ÷ the calls with an outcome (answered + abandoned);
- **abandonment rate**: abandoned ÷ (answered + abandoned);
- calls still **waiting** have no outcome yet (arrived, queued or ringing).

Every period figure comes from one grouped query (by queue and language) whose rows are summed
here, so totals, per-queue and per-language rows always agree and cost one scan. Whole
quarter-hours that are sealed come from the rollup (``models.CallInterval``, a few thousand rows
a month); the unsealed tail (the last two hours or so) and partial quarter-hours at the edges come
from the call records through the covering index ``reports_call_metrics_idx`` (migration 0001 of
this app). So a month of a million calls reads in milliseconds (docs/performance.md, "Live
metrics").
The target comes from the policy table (``answer_time_avg``), never from a literal.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Min, Q, QuerySet, Sum

from qoldau.core import clock
from qoldau.policy.enums import RuleCode
from qoldau.policy.selectors import policy_value
from qoldau.reports.expressions import EpochBucket
from qoldau.reports.models import CallInterval, RollupMark
from qoldau.reports.periods import INTERVAL, Period, period_of_days, period_rolling
from qoldau.routing.enums import Presence
from qoldau.routing.models import Operator
from qoldau.telephony.enums import CallState
from qoldau.telephony.models import CallRecord

ANSWERED = Q(abandoned=False, wait_seconds__isnull=False)
WAITING_STATES = (CallState.ARRIVED, CallState.QUEUED, CallState.OFFERED)
ROLLING_MINUTES = (15, 60)
QUARTER = int(INTERVAL.total_seconds())
ROLLUP_MARK = "calls"


@dataclass(frozen=True)
class Target:
    """The p.7 target in force: seconds and the citation to show beside it."""

    seconds: int
    citation: str


def answer_target(at: dt.datetime | dt.date | None = None) -> Target:
    rule = policy_value(RuleCode.ANSWER_TIME_AVG, at)
    return Target(seconds=rule.as_int(), citation=rule.citation)


@dataclass
class Figures:
    """Counts and sums of a set of calls; the rates are derived, ``None`` where undefined."""

    calls: int = 0
    answered: int = 0
    within_target: int = 0
    abandoned: int = 0
    wait_sum: float = 0.0

    def add(self, other: Figures) -> None:
        self.calls += other.calls
        self.answered += other.answered
        self.within_target += other.within_target
        self.abandoned += other.abandoned
        self.wait_sum += other.wait_sum

    @property
    def outcomes(self) -> int:
        return self.answered + self.abandoned

    @property
    def waiting(self) -> int:
        return self.calls - self.outcomes

    @property
    def asa_seconds(self) -> float | None:
        return self.wait_sum / self.answered if self.answered else None

    @property
    def service_level(self) -> float | None:
        return self.within_target / self.outcomes if self.outcomes else None

    @property
    def abandonment_rate(self) -> float | None:
        return self.abandoned / self.outcomes if self.outcomes else None


@dataclass
class PeriodFigures:
    period: Period
    target: Target
    total: Figures
    by_queue: dict[str, Figures] = field(default_factory=dict)
    by_language: dict[str, Figures] = field(default_factory=dict)


def _in_period(period: Period) -> QuerySet[CallRecord]:
    return CallRecord.objects.filter(arrived_at__gte=period.start, arrived_at__lt=period.end)


def _aggregates(target_seconds: int) -> dict[str, Count | Sum]:
    return {
        "n_calls": Count("pk"),
        "n_answered": Count("pk", filter=ANSWERED),
        "n_within": Count("pk", filter=ANSWERED & Q(wait_seconds__lte=target_seconds)),
        "n_abandoned": Count("pk", filter=Q(abandoned=True)),
        "s_wait": Sum("wait_seconds", filter=ANSWERED),
    }


ROLLUP_SUMS = {
    "n_calls": Sum("calls"),
    "n_answered": Sum("answered"),
    "n_within": Sum("within_target"),
    "n_abandoned": Sum("abandoned"),
    "s_wait": Sum("wait_sum"),
}


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def _figures(row: dict[str, Any]) -> Figures:
    return Figures(
        calls=int(_number(row["n_calls"])),
        answered=int(_number(row["n_answered"])),
        within_target=int(_number(row["n_within"])),
        abandoned=int(_number(row["n_abandoned"])),
        wait_sum=_number(row["s_wait"]),
    )


def quarter_floor(moment: dt.datetime) -> dt.datetime:
    seconds = int(moment.timestamp()) // QUARTER * QUARTER
    return dt.datetime.fromtimestamp(seconds, tz=dt.UTC)


def quarter_ceil(moment: dt.datetime) -> dt.datetime:
    floor = quarter_floor(moment)
    return floor if floor == moment else floor + INTERVAL


def _split(period: Period) -> tuple[Period | None, list[Period]]:
    """The part of ``period`` read from the sealed rollup (whole quarter-hours) and the parts
    read from the call records (the unsealed tail, and any partial quarter-hour at the edges).
    One query (the mark)."""
    sealed = RollupMark.objects.filter(name=ROLLUP_MARK).values_list("until", flat=True).first()
    if sealed is None:
        return None, [period]
    first, last = quarter_ceil(period.start), min(quarter_floor(period.end), sealed)
    if last <= first:
        return None, [period]
    raw = [Period(period.start, first), Period(last, period.end)]
    return Period(first, last), [p for p in raw if p.end > p.start]


Row = tuple[dt.datetime | None, str, str, Figures]


def _rows(period: Period, target: Target, *, quarters: bool, groups: bool) -> list[Row]:
    """Figures of ``period`` grouped by quarter-hour and/or (queue, language): rollup rows for
    the sealed part, call records for the rest. At most four queries whatever the period."""
    rollup, raws = _split(period)
    keys = ["queue", "language"] if groups else []
    found: list[Row] = []
    if rollup is not None:
        rows = (
            CallInterval.objects.filter(start__gte=rollup.start, start__lt=rollup.end)
            .order_by()
            .values(*(["start"] if quarters else []), *keys)
            .annotate(**ROLLUP_SUMS)
        )
        found.extend(
            (r.get("start"), str(r.get("queue", "")), str(r.get("language", "")), _figures(r))
            for r in rows
        )
    for raw in raws:
        qs = _in_period(raw).order_by()
        if quarters:
            qs = qs.annotate(bucket=EpochBucket("arrived_at", QUARTER))
        rows = qs.values(*(["bucket"] if quarters else []), *keys).annotate(
            **_aggregates(target.seconds)
        )
        found.extend(
            (
                dt.datetime.fromtimestamp(int(r["bucket"]), tz=dt.UTC) if quarters else None,
                str(r.get("queue", "")),
                str(r.get("language", "")),
                _figures(r),
            )
            for r in rows
        )
    return found


def call_figures(period: Period, *, target: Target | None = None) -> PeriodFigures:
    """Answer-time figures of the calls that arrived in ``period``: in total, per queue and per
    language. At most four queries, none of them a scan of the month's call records."""
    target = target or answer_target(period.start)
    result = PeriodFigures(period=period, target=target, total=Figures())
    by_queue: dict[str, Figures] = defaultdict(Figures)
    by_language: dict[str, Figures] = defaultdict(Figures)
    for _start, queue, language, figures in _rows(period, target, quarters=False, groups=True):
        result.total.add(figures)
        by_queue[queue].add(figures)
        by_language[language].add(figures)
    result.by_queue = dict(sorted(by_queue.items()))
    result.by_language = dict(sorted(by_language.items()))
    return result


@dataclass(frozen=True)
class DayFigures:
    day: dt.date
    figures: Figures


def call_figures_per_day(period: Period, *, target: Target | None = None) -> list[DayFigures]:
    """The figures of each local day of ``period`` that had calls."""
    target = target or answer_target(period.start)
    days: dict[dt.date, Figures] = defaultdict(Figures)
    for start, _queue, _language, figures in _rows(period, target, quarters=True, groups=False):
        assert start is not None
        days[clock.local_date(start)].add(figures)
    return [DayFigures(day=day, figures=days[day]) for day in sorted(days)]


@dataclass(frozen=True)
class IntervalFigures:
    start: dt.datetime
    figures: Figures


def call_figures_per_interval(
    day: dt.date, *, target: Target | None = None, until: dt.datetime | None = None
) -> list[IntervalFigures]:
    """The 96 quarter-hours of a local day (up to ``until``), each with its calls and ASA."""
    period = period_of_days(day, day)
    if until is not None:
        period = Period(period.start, max(period.start, min(period.end, until)))
    target = target or answer_target(period.start)
    found: dict[dt.datetime, Figures] = defaultdict(Figures)
    for start, _queue, _language, figures in _rows(period, target, quarters=True, groups=False):
        assert start is not None
        found[start].add(figures)
    starts = [period.start + INTERVAL * n for n in range(96)]
    return [IntervalFigures(start=s, figures=found.get(s, Figures())) for s in starts]


@dataclass(frozen=True)
class Waiting:
    """Calls waiting now and the longest current wait (seconds), overall and per group."""

    calls: int
    longest_seconds: float | None
    by_queue: dict[str, tuple[int, float | None]]
    by_language: dict[str, tuple[int, float | None]]


def calls_waiting(now: dt.datetime | None = None) -> Waiting:
    """Calls without an outcome that are still on the line (arrived, queued or ringing).
    One query over the state index."""
    now = now or clock.now()
    rows = (
        CallRecord.objects.filter(state__in=WAITING_STATES)
        .order_by()
        .values("queue", "language")
        .annotate(n=Count("pk"), first=Min("arrived_at"))
    )

    def wait(first: dt.datetime | None) -> float | None:
        return max(0.0, (now - first).total_seconds()) if first is not None else None

    total = 0
    first_all: dt.datetime | None = None
    queues: dict[str, tuple[int, dt.datetime | None]] = {}
    languages: dict[str, tuple[int, dt.datetime | None]] = {}
    for row in rows:
        n, first = int(row["n"]), row["first"]
        total += n
        first_all = first if first_all is None or first < first_all else first_all
        for key, bucket in ((str(row["queue"]), queues), (str(row["language"]), languages)):
            seen_n, seen_first = bucket.get(key, (0, None))
            bucket[key] = (seen_n + n, first if seen_first is None else min(first, seen_first))
    return Waiting(
        calls=total,
        longest_seconds=wait(first_all),
        by_queue={k: (n, wait(f)) for k, (n, f) in sorted(queues.items())},
        by_language={k: (n, wait(f)) for k, (n, f) in sorted(languages.items())},
    )


def operators_by_presence() -> dict[str, int]:
    """How many operators are in each presence state (every state listed, zeros too)."""
    counts = dict(
        Operator.objects.order_by()
        .values_list("presence")
        .annotate(n=Count("pk"))
        .values_list("presence", "n")
    )
    return {state.value: int(counts.get(state.value, 0)) for state in Presence}


@dataclass(frozen=True)
class LiveFigures:
    """What the wallboard shows: the rolling windows, the waiting calls, presence, the target."""

    now: dt.datetime
    target: Target
    rolling: dict[int, PeriodFigures]
    today: PeriodFigures
    waiting: Waiting
    presence: dict[str, int]

    @property
    def asa_over_target(self) -> bool:
        """The alert of R16: the rolling (15-minute) ASA has passed the p.7 target."""
        asa = self.rolling[ROLLING_MINUTES[0]].total.asa_seconds
        return asa is not None and asa > self.target.seconds


def live_figures(now: dt.datetime | None = None) -> LiveFigures:
    now = now or clock.now()
    target = answer_target(now)
    rolling = {
        minutes: call_figures(period_rolling(minutes, now), target=target)
        for minutes in ROLLING_MINUTES
    }
    today = clock.local_date(now)
    day = period_of_days(today, today)
    return LiveFigures(
        now=now,
        target=target,
        rolling=rolling,
        today=call_figures(Period(day.start, now), target=target),
        waiting=calls_waiting(now),
        presence=operators_by_presence(),
    )


def keys_of(*mappings: Iterable[str]) -> list[str]:
    """The union of the keys of several per-group mappings, sorted (rows of one table)."""
    keys: set[str] = set()
    for mapping in mappings:
        keys.update(mapping)
    return sorted(keys)


__all__ = [
    "ANSWERED",
    "Figures",
    "LiveFigures",
    "PeriodFigures",
    "Target",
    "answer_target",
    "call_figures",
    "call_figures_per_day",
    "call_figures_per_interval",
    "calls_waiting",
    "live_figures",
    "operators_by_presence",
]
