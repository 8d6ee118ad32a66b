"""Quality figures for any period (R13, R19): ratings and replies on time. Pure reads.

- **ratings** (p.13) of the calls that arrived in the period, per operator, public service,
  line (the channel a call came in on: 1414, 8 800 …) and local day: how many, the average, and
  the distribution over the scale (``rating_scale`` of the policy table, five points);
- **replies on time** (p.8 and the other reply deadlines): of the appeals whose deadline fell in
  the period, how many were answered by it, late, are overdue and still open, or still in time;
- **escalations**: hand-offs of appeals to competent bodies (referrals R11, forwarded complaints
  R14) and transfers between operators (R12) made in the period.
Each table is one grouped query.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, Literal

from django.db.models import Avg, Count, F, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils.translation import gettext as _

from qoldau.appeals.enums import HandoffKind
from qoldau.appeals.models import Appeal, Handoff
from qoldau.core import clock
from qoldau.core.i18n import localized
from qoldau.policy.enums import RuleCode
from qoldau.policy.selectors import policy_value
from qoldau.reports.periods import Period
from qoldau.telephony.models import CallRecord

RatingDimension = Literal["operator", "service", "line", "day"]
RATING_DIMENSIONS: tuple[RatingDimension, ...] = ("operator", "service", "line", "day")


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


def _rated(period: Period) -> QuerySet[CallRecord]:
    return CallRecord.objects.filter(
        arrived_at__gte=period.start, arrived_at__lt=period.end, rating__isnull=False
    )


def _aggregates(scale: int) -> dict[str, Any]:
    sums: dict[str, Any] = {"n": Count("pk"), "avg": Avg("rating")}
    for score in range(1, scale + 1):
        sums[f"r{score}"] = Count("pk", filter=Q(rating=score))
    return sums


def _row(label: str, values: dict[str, Any], scale: int) -> RatingRow:
    return RatingRow(
        label=label,
        rated=int(values["n"] or 0),
        average=float(values["avg"]) if values["avg"] is not None else None,
        distribution=tuple(int(values[f"r{s}"] or 0) for s in range(1, scale + 1)),
    )


def _label(dimension: RatingDimension, values: dict[str, Any]) -> str:
    if dimension == "operator":
        if values["operator_id"] is None:
            return _("No operator")
        full = f"{values['operator__first_name']} {values['operator__last_name']}".strip()
        return full or str(values["operator__username"])
    if dimension == "service":
        if values["service_id"] is None:
            return _("No public service named")
        names = {f"name_{c}": values[f"service__name_{c}"] for c in ("kk", "ru", "en")}
        return localized(SimpleNamespace(**names), "name")
    if dimension == "line":
        return str(values["line"]) or _("Line not known")
    day = values["day"]
    return day.strftime("%d.%m.%Y") if day is not None else ""


_GROUPS: dict[RatingDimension, tuple[str, ...]] = {
    "operator": (
        "operator_id",
        "operator__first_name",
        "operator__last_name",
        "operator__username",
    ),
    "service": ("service_id", "service__name_kk", "service__name_ru", "service__name_en"),
    "line": ("line",),
    "day": ("day",),
}


def rating_table(period: Period, dimension: RatingDimension) -> RatingTable:
    """Ratings of the calls of ``period`` grouped by ``dimension``, the best average first
    (days in order). One query for the rows, one for the total."""
    scale = rating_scale(period.start)
    qs = _rated(period).order_by()
    if dimension == "day":
        qs = qs.annotate(day=TruncDate("arrived_at", tzinfo=clock.local_zone()))
    rows = [
        _row(_label(dimension, values), values, scale)
        for values in qs.values(*_GROUPS[dimension]).annotate(**_aggregates(scale))
    ]
    if dimension != "day":
        rows.sort(key=lambda r: (-(r.average or 0.0), -r.rated, r.label))
    total = _row(_("All calls"), _rated(period).aggregate(**_aggregates(scale)), scale)
    return RatingTable(dimension=dimension, scale=scale, rows=rows, total=total)


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
