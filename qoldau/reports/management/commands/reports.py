"""``qoldau reports seal [--rebuild-from YYYY-MM-DD]``: seal the quarter-hours of call figures
and the days of call ratings."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from qoldau.reports.periods import period_of_days
from qoldau.reports.rollup import call_intervals_seal, rating_days_seal


class Command(BaseCommand):
    help = "Seal the quarter-hours of call figures (answer times) and the days of call ratings."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["seal"])
        parser.add_argument(
            "--rebuild-from",
            type=dt.date.fromisoformat,
            help="recompute from this local date (after late call events or a policy change)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        day = options.get("rebuild_from")
        start = period_of_days(day, day).start if day else None
        written = call_intervals_seal(rebuild_from=start)
        rated = rating_days_seal(rebuild_from=start)
        self.stdout.write(f"{written} quarter-hour rows and {rated} rating rows written")
