"""Quality figures for any period (R13, R19): ratings and replies on time. Pure reads.

- **ratings** (p.13) of the calls that arrived in the period, per operator, public service,
  line (the channel a call came in on: 1414, 8 800 …) and local day: how many, the average, and
  the distribution over the scale (``rating_scale`` of the policy table, five points);
- **replies on time** (p.8 and the other reply deadlines): of the appeals whose deadline fell in
  the period, how many were answered by it, late, are overdue and still open, or still in time;
- **escalations**: hand-offs of appeals to competent bodies (referrals R11, forwarded complaints
  R14) and transfers between operators (R12) made in the period.

Ratings of whole local days sealed two hours after the day (``models.RatingDay``, written by
``rollup.rating_days_seal``) come from the rollup, the rest of the period from the call records,
so a month of a million calls reads in milliseconds (docs/performance.md, "Live metrics").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from django.contrib.auth import get_user_model
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncDate
from django.utils.translation import gettext as _

from qoldau.appeals.enums import HandoffKind
from qoldau.appeals.models import Appeal, Handoff
from qoldau.core import clock
from qoldau.core.i18n import localized
from qoldau.policy.enums import RuleCode
from qoldau.policy.selectors import policy_value
from qoldau.registry.models import PublicService
from qoldau.reports.models import RatingDay, RollupMark
from qoldau.reports.periods import Period, local_midnight
from qoldau.telephony.models import CallRecord

RatingDimension = Literal["operator", "service", "line", "day"]
RATING_DIMENSIONS: tuple[RatingDimension, ...] = ("operator", "service", "line", "day")
RATING_MARK = "ratings"
# The dimensions stored in ``RatingDay`` and the call record's field each groups by.
RATING_FIELDS = {"operator": "operator_id", "service": "service_id", "line": "line"}


def rating_key(value: object) -> str:
    """A value of a stored dimension as ``RatingDay.key`` holds it ("" for none)."""
    return "" if value is None else str(value)


@dataclass(frozen=True)
class RatingRow:
    label: str
    rated: int
    average: float | None
    distribution: tuple[int, ...]  # index 0: the lowest score

    @property
    def shares(self) -> tuple[float, ...]:
        return tuple(n / self.rated if self.rated else 0.0 for n in self.distribution)


@dataclass(frozen=True)
class RatingTable:
    dimension: RatingDimension
    scale: int
    rows: list[RatingRow]
    total: RatingRow


def rating_scale(at: dt.datetime | dt.date | None = None) -> int:
    return policy_value(RuleCode.RATING_SCALE, at).as_int()


@dataclass
class _Tally:
    """Rated calls of one row: how many, the sum of their scores, how many per score."""

    rated: int = 0
    score_sum: int = 0
    by_score: dict[int, int] = field(default_factory=dict)

    def add(self, score: int, count: int) -> None:
        self.rated += count
        self.score_sum += score * count
        self.by_score[score] = self.by_score.get(score, 0) + count

    def merge(self, other: _Tally) -> None:
        for score, count in other.by_score.items():
            self.add(score, count)

    def row(self, label: str, scale: int) -> RatingRow:
        return RatingRow(
            label=label,
            rated=self.rated,
            average=self.score_sum / self.rated if self.rated else None,
            distribution=tuple(self.by_score.get(s, 0) for s in range(1, scale + 1)),
        )


RatingKey = str | dt.date


def _sealed_days(period: Period) -> tuple[tuple[dt.date, dt.date] | None, list[Period]]:
    """The whole local days of ``period`` already in ``RatingDay`` (first, and the day after
    the last) and the parts of the period read from the call records. One query (the mark)."""
    sealed = RollupMark.objects.filter(name=RATING_MARK).values_list("until", flat=True).first()
    if sealed is None:
        return None, [period]
    zone = clock.local_zone()
    first = period.start.astimezone(zone).date()
    if local_midnight(first) < period.start:
        first += dt.timedelta(days=1)
    after = min(period.end.astimezone(zone).date(), sealed.astimezone(zone).date())
    if after <= first:
        return None, [period]
    raw = [Period(period.start, local_midnight(first)), Period(local_midnight(after), period.end)]
    return (first, after), [p for p in raw if p.end > p.start]


def _tallies(period: Period, dimension: RatingDimension) -> dict[RatingKey, _Tally]:
    """Rated calls of ``period`` per key of ``dimension`` and score: sealed days from the
    rollup, the rest from the call records. At most four queries whatever the period."""
    days, raws = _sealed_days(period)
    tallies: dict[RatingKey, _Tally] = {}

    def add(key: RatingKey, score: int, count: int) -> None:
        tallies.setdefault(key, _Tally()).add(score, count)

    if days is not None:
        # Every rated call is counted once per dimension: the lines give the days.
        stored = "line" if dimension == "day" else dimension
        group = "day" if dimension == "day" else "key"
        for row in (
            RatingDay.objects.filter(dimension=stored, day__gte=days[0], day__lt=days[1])
            .order_by()
            .values(group, "score")
            .annotate(n=Sum("rated"))
        ):
            add(row[group], int(row["score"]), int(row["n"]))
    for raw in raws:
        qs = CallRecord.objects.filter(
            arrived_at__gte=raw.start, arrived_at__lt=raw.end, rating__isnull=False
        ).order_by()
        if dimension == "day":
            qs = qs.annotate(day=TruncDate("arrived_at", tzinfo=clock.local_zone()))
        column = "day" if dimension == "day" else RATING_FIELDS[dimension]
        for row in qs.values(column, "rating").annotate(n=Count("pk")):
            key = row[column] if dimension == "day" else rating_key(row[column])
            add(key, int(row["rating"]), int(row["n"]))
    return tallies


def _labels(dimension: RatingDimension, keys: list[RatingKey]) -> dict[RatingKey, str]:
    """What each key is called in the active language (one query for operators and
    services); a key whose operator or service is gone is labelled as none."""
    if dimension == "day":
        return {k: k.strftime("%d.%m.%Y") for k in keys if isinstance(k, dt.date)}
    if dimension == "line":
        return {k: str(k) or _("Line not known") for k in keys}
    ids = [int(k) for k in keys if isinstance(k, str) and k.isdigit()]
    names: dict[RatingKey, str] = {}
    if dimension == "operator":
        none = _("No operator")
        user_model = get_user_model()
        login = user_model.USERNAME_FIELD
        for pk, first, last, username in user_model.objects.filter(pk__in=ids).values_list(
            "pk", "first_name", "last_name", login
        ):
            names[str(pk)] = f"{first} {last}".strip() or str(username)
    else:
        none = _("No public service named")
        services = PublicService.objects.filter(pk__in=ids).only("name_kk", "name_ru", "name_en")
        for service in services:
            names[str(service.pk)] = localized(service, "name")
    return {k: names.get(k, none) for k in keys}


def rating_table(period: Period, dimension: RatingDimension) -> RatingTable:
    """Ratings of the calls of ``period`` grouped by ``dimension``, the best average first
    (days in order); the total counts every rated call of the period once."""
    scale = rating_scale(period.start)
    tallies = _tallies(period, dimension)
    labels = _labels(dimension, list(tallies))
    total = _Tally()
    by_label: dict[str, _Tally] = {}  # keys of operators or services that are gone merge
    order: list[tuple[RatingKey, str]] = []
    for key, tally in tallies.items():
        total.merge(tally)
        label = labels[key]
        if label not in by_label:
            by_label[label] = _Tally()
            order.append((key, label))
        by_label[label].merge(tally)
    if dimension == "day":
        order.sort(key=lambda pair: pair[0])
    rows = [by_label[label].row(label, scale) for _key, label in order]
    if dimension != "day":
        rows.sort(key=lambda r: (-(r.average or 0.0), -r.rated, r.label))
    return RatingTable(
        dimension=dimension, scale=scale, rows=rows, total=total.row(_("All calls"), scale)
    )


@dataclass
class ReplyFigures:
    """Appeals whose deadline fell in the period, by what became of the deadline."""

    due: int = 0
    on_time: int = 0
    late: int = 0
    overdue_open: int = 0
    in_time_open: int = 0
    escalations: dict[str, int] = field(default_factory=dict)

    @property
    def on_time_share(self) -> float | None:
        decided = self.on_time + self.late + self.overdue_open
        return self.on_time / decided if decided else None


def reply_figures(period: Period, now: dt.datetime | None = None) -> ReplyFigures:
    """Replies on time and escalations of ``period``. Two queries."""
    now = now or clock.now()
    answered = Q(answered_at__isnull=False)
    counts = Appeal.objects.filter(due_at__gte=period.start, due_at__lt=period.end).aggregate(
        due=Count("pk"),
        on_time=Count("pk", filter=answered & Q(answered_at__lte=F("due_at"))),
        late=Count("pk", filter=answered & Q(answered_at__gt=F("due_at"))),
        overdue_open=Count("pk", filter=Q(answered_at__isnull=True, due_at__lt=now)),
        in_time_open=Count("pk", filter=Q(answered_at__isnull=True, due_at__gte=now)),
    )
    kinds = dict(
        Handoff.objects.filter(at__gte=period.start, at__lt=period.end)
        .order_by()
        .values_list("kind")
        .annotate(n=Count("pk"))
        .values_list("kind", "n")
    )
    return ReplyFigures(
        due=counts["due"],
        on_time=counts["on_time"],
        late=counts["late"],
        overdue_open=counts["overdue_open"],
        in_time_open=counts["in_time_open"],
        escalations={kind.value: int(kinds.get(kind.value, 0)) for kind in HandoffKind},
    )
