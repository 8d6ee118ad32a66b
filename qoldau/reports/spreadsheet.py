"""The quality tables as rows for an XLSX workbook (openpyxl, write-only) or a CSV file."""

from __future__ import annotations

import io
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook

from qoldau.appeals.enums import HandoffKind

Sheet = tuple[str, list[list[Any]]]


def _rate(value: float | None) -> float | str:
    return round(value, 4) if value is not None else ""


def quality_workbook(context: dict[str, Any]) -> list[Sheet]:
    """One sheet per table of the quality page, headers in the reader's language."""
    answers = context["answers"]
    head = [_("Group"), _("Calls"), _("Answered"), _("Average speed of answer, s"),
            _("Service level"), _("Abandoned"), _("Abandonment rate")]  # fmt: skip

    def figures_row(label: str, f: Any) -> list[Any]:
        return [label, f.calls, f.answered, _rate(f.asa_seconds), _rate(f.service_level),
                f.abandoned, _rate(f.abandonment_rate)]  # fmt: skip

    answer_rows = [head, figures_row(_("All calls"), answers.total)]
    answer_rows += [figures_row(r.label, r.figures) for r in context["queue_rows"]]
    answer_rows += [figures_row(r.label, r.figures) for r in context["language_rows"]]
    day_rows = [head] + [figures_row(d.day.isoformat(), d.figures) for d in context["days"]]
    sheets: list[Sheet] = [(_("Answer times"), answer_rows), (_("By day"), day_rows)]
    for dimension, table in context["tables"].items():
        rows: list[list[Any]] = [[_("Group"), _("Rated calls"), _("Average rating")]
                + [str(s) for s in range(1, table.scale + 1)]]  # fmt: skip
        for row in [*table.rows, table.total]:
            rows.append([row.label, row.rated, _rate(row.average), *row.distribution])
        sheets.append((str(context["rating_titles"][dimension]), rows))
    replies = context["replies"]
    sheets.append(
        (
            _("Replies on time"),
            [
                [_("Deadline in the period"), replies.due],
                [_("Answered on time"), replies.on_time],
                [_("Answered late"), replies.late],
                [_("Overdue, not answered"), replies.overdue_open],
                [_("Not answered, still in time"), replies.in_time_open],
                [_("Share answered on time"), _rate(replies.on_time_share)],
                *[[str(HandoffKind(kind).label), n] for kind, n in replies.escalations.items()],
            ],
        )
    )
    return sheets


def xlsx_bytes(sheets: list[Sheet]) -> bytes:
    book = Workbook(write_only=True)
    for title, rows in sheets:
        sheet = book.create_sheet(title=title[:31])
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
