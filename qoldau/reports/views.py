"""Supervisor's wallboard and the quality figures (R13, R16, R19).

The wallboard refreshes by htmx polling (``hx-trigger="every 5s"`` on its live region) rather
than Server-Sent Events: an SSE stream holds a WSGI worker thread for as long as a wallboard is
open (a whole shift, on several screens), while a poll is one short request every few seconds
whose queries are bounded (the rollup and indexes, see call_metrics.py); polling also survives
proxies and reconnects without extra code, and five seconds is well inside what a supervisor
needs against a 30-second target.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from typing import Any, Final

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import pgettext, pgettext_lazy
from django.views.decorators.http import require_GET

from qoldau.accounts.access import access_require_role
from qoldau.accounts.enums import Role
from qoldau.appeals.ratings import appeal_rating_figures
from qoldau.core import clock
from qoldau.core.errors import PermissionDenied
from qoldau.core.i18n import localized
from qoldau.reports import call_metrics as cm
from qoldau.reports import quality as q
from qoldau.reports.charts import day_chart
from qoldau.reports.forms import PeriodForm
from qoldau.reports.periods import period_of_days
from qoldau.reports.spreadsheet import quality_workbook
from qoldau.routing.enums import Presence
from qoldau.routing.models import Queue

WALLBOARD_ROLES: Final = (Role.SUPERVISOR, Role.UCC_ADMIN)
QUALITY_ROLES: Final = (
    Role.SUPERVISOR,
    Role.UCC_ADMIN,
    Role.INFORMATIZATION_OFFICER,
    Role.QUALITY_OFFICER,
)
POLL_SECONDS: Final = 5


def _require(request: HttpRequest, *roles: str) -> None:
    try:
        access_require_role(request.user, *roles)
    except PermissionDenied as exc:
        raise HttpForbidden(str(exc.message)) from exc


@dataclass(frozen=True)
class GroupRow:
    label: str
    waiting: int
    longest: float | None
    figures: cm.Figures


def _queue_names() -> dict[str, str]:
    return {queue.code: localized(queue, "name") for queue in Queue.objects.all()}


def _language_names() -> dict[str, str]:
    return {code: str(name) for code, name in settings.LANGUAGES}


def _group_rows(
    figures: dict[str, cm.Figures],
    waiting: dict[str, tuple[int, float | None]],
    names: dict[str, str],
    unknown: str,
) -> list[GroupRow]:
    rows = []
    for key in cm.keys_of(figures, waiting):
        count, longest = waiting.get(key, (0, None))
        label = names.get(key, key) if key else unknown
        rows.append(GroupRow(label, count, longest, figures.get(key, cm.Figures())))
    return rows


# The wallboard's own words for presence (short, plural: "2 on a call"), in this app's catalogue.
PRESENCE_LABELS: Final = {
    Presence.AVAILABLE: pgettext_lazy("wallboard presence", "available"),
    Presence.ON_CALL: pgettext_lazy("wallboard presence", "on a call"),
    Presence.WRAP_UP: pgettext_lazy("wallboard presence", "wrapping up"),
    Presence.BREAK: pgettext_lazy("wallboard presence", "on a break"),
    Presence.OFFLINE: pgettext_lazy("wallboard presence", "signed out"),
}


def _presence_rows(counts: dict[str, int]) -> list[dict[str, Any]]:
    return [
        {"code": state.value, "label": PRESENCE_LABELS[state], "count": counts[state.value]}
        for state in Presence
    ]


def _wallboard_context() -> dict[str, Any]:
    live = cm.live_figures()
    hour = live.rolling[60]
    today = clock.local_date(live.now)
    intervals = cm.call_figures_per_interval(today, target=live.target, until=live.now)
    return {
        "live": live,
        "quarter": live.rolling[15].total,
        "hour": hour.total,
        "today": live.today.total,
        "queue_rows": _group_rows(
            hour.by_queue, live.waiting.by_queue, _queue_names(), _("No queue")
        ),
        "language_rows": _group_rows(
            hour.by_language,
            live.waiting.by_language,
            _language_names(),
            pgettext("language", "Not known"),
        ),
        "presence": _presence_rows(live.presence),
        "operators_total": sum(live.presence.values()),
        "chart": day_chart(intervals, live.target.seconds),
        "poll_seconds": POLL_SECONDS,
    }


@login_required
@require_GET
def wallboard(request: HttpRequest) -> HttpResponse:
    _require(request, *WALLBOARD_ROLES)
    return render(request, "reports/wallboard.html", _wallboard_context())


@login_required
@require_GET
def wallboard_live(request: HttpRequest) -> HttpResponse:
    """The live region alone, for the poll."""
    _require(request, *WALLBOARD_ROLES)
    return render(request, "reports/_wallboard_live.html", _wallboard_context())


class _Echo:
    def write(self, value: str) -> str:
        return value


@login_required
@require_GET
def quality(request: HttpRequest) -> HttpResponseBase:
    _require(request, *QUALITY_ROLES)
    today = clock.today()
    form = PeriodForm(request.GET or None, initial={"date_from": today.replace(day=1)})
    first, last = today.replace(day=1), today
    if form.is_valid():
        first = form.cleaned_data["date_from"] or first
        last = form.cleaned_data["date_to"] or last
    period = period_of_days(first, last)
    answers = cm.call_figures(period)
    days = cm.call_figures_per_day(period, target=answers.target)
    tables = {dim: q.rating_table(period, dim) for dim in q.RATING_DIMENSIONS}
    replies = q.reply_figures(period)
    written = {
        by: appeal_rating_figures(start=period.start, end=period.end, by=by)
        for by in ("operator", "service", "channel")
    }
    context = {
        "written_ratings": written,
        "written_titles": {
            "operator": _("Written appeals: ratings by operator"),
            "service": _("Written appeals: ratings by public service"),
            "channel": _("Written appeals: ratings by channel"),
        },
        "form": form,
        "first": first,
        "last": last,
        "answers": answers,
        "queue_rows": _group_rows(answers.by_queue, {}, _queue_names(), _("No queue")),
        "language_rows": _group_rows(
            answers.by_language, {}, _language_names(), pgettext("language", "Not known")
        ),
        "days": days,
        "tables": tables,
        "scale": range(1, tables["operator"].scale + 1),
        "replies": replies,
        "rating_titles": {
            "operator": _("Ratings by operator"),
            "service": _("Ratings by public service"),
            "line": _("Ratings by line"),
            "day": _("Ratings by day"),
        },
    }
    export = request.GET.get("export")
    if export in ("xlsx", "csv"):
        return _export(export, context, first, last)
    return render(request, "reports/quality.html", context)


def _export(kind: str, context: dict[str, Any], first: dt.date, last: dt.date) -> HttpResponseBase:
    name = f"quality-{first:%Y%m%d}-{last:%Y%m%d}"
    sheets = quality_workbook(context)
    if kind == "xlsx":
        from qoldau.reports.spreadsheet import xlsx_bytes

        response = HttpResponse(
            xlsx_bytes(sheets),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
        return response
    writer = csv.writer(_Echo())

    def lines() -> Any:
        yield "\ufeff"
        for title, rows in sheets:
            yield writer.writerow([title])
            for row in rows:
                yield writer.writerow(row)
            yield writer.writerow([])

    streamed = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    streamed["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return streamed
