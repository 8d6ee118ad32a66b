"""``qoldau workdays``: ask the working-day calendar and load its years (R32)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from qoldau.core import clock
from qoldau.core.errors import DomainError
from qoldau.workdays.enums import DayKind
from qoldau.workdays.selectors import (
    add_working_days,
    calendar_day,
    month_days,
    next_working_day,
    override_for,
    working_days_between,
)
from qoldau.workdays.services import workdays_ensure_loaded, workdays_load_year

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
LANGUAGES = ("kk", "ru", "en")


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(
            _("Not a date: %(value)r (write it as YYYY-MM-DD).") % {"value": value}
        ) from None


def _integer(value: str, what: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise CommandError(
            _("Not a whole number for %(what)s: %(value)r.") % {"what": what, "value": value}
        ) from None


class Command(BaseCommand):
    help = (
        "The working-day calendar of Kazakhstan. Subcommands: add DATE N, between FIRST LAST, "
        "is DATE, next DATE, show YYYY-MM, load --year N, ensure [--through YEAR]."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        common = CommandParser(add_help=False)
        common.add_argument("--lang", choices=LANGUAGES, help="language of the output")
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

        def command(name: str, help_text: str) -> CommandParser:
            made: CommandParser = sub.add_parser(name, help=help_text, parents=[common])
            return made

        add = command("add", "the N-th working day after DATE (N < 0: before)")
        add.add_argument("date")
        add.add_argument("n")
        between = command("between", "working days from FIRST to LAST, inclusive")
        between.add_argument("first")
        between.add_argument("last")
        is_ = command("is", "is DATE a working day, and why")
        is_.add_argument("date")
        next_ = command("next", "the first working day after DATE")
        next_.add_argument("date")
        show = command("show", "every day of a month (YYYY-MM)")
        show.add_argument("month")
        load = command("load", "(re)load a year from the holidays package")
        load.add_argument("--year", required=True)
        ensure = command("ensure", "load the missing years through YEAR")
        ensure.add_argument("--through", help="the last year to have (default: next year)")

    def handle(self, *args: Any, **options: Any) -> None:
        language = options.get("lang")
        try:
            with translation.override(language or translation.get_language()):
                getattr(self, f"_{options['action']}")(options)
        except DomainError as exc:
            raise CommandError(str(exc.message)) from exc

    def _add(self, options: dict[str, Any]) -> None:
        result = add_working_days(_date(options["date"]), _integer(options["n"], "N"))
        self.stdout.write(result.isoformat())

    def _between(self, options: dict[str, Any]) -> None:
        count = working_days_between(_date(options["first"]), _date(options["last"]))
        self.stdout.write(str(count))

    def _next(self, options: dict[str, Any]) -> None:
        self.stdout.write(next_working_day(_date(options["date"])).isoformat())

    def _is(self, options: dict[str, Any]) -> None:
        day = _date(options["date"])
        found = calendar_day(day)
        status = _("working") if found.is_working else _("non-working")
        reason = str(DayKind(found.kind).label)
        if found.name:
            reason = f"{reason}: {found.name}"
        override = override_for(day)
        if override is not None:
            reason = _("%(reason)s; set by override: %(why)s") % {
                "reason": reason,
                "why": override.reason,
            }
        self.stdout.write(f"{day.isoformat()} {status} — {reason}")

    def _show(self, options: dict[str, Any]) -> None:
        match = _MONTH.match(options["month"])
        if not match or not 1 <= int(match[2]) <= 12:
            raise CommandError(
                _("Not a month: %(value)r (write it as YYYY-MM).") % {"value": options["month"]}
            )
        days = month_days(int(match[1]), int(match[2]))
        working = sum(1 for d in days if d.is_working)
        self.stdout.write(
            _("%(month)s: %(working)s working days of %(days)s")
            % {"month": date_format(days[0].date, "F Y"), "working": working, "days": len(days)}
        )
        statuses = {True: _("working"), False: _("non-working")}
        status_width = max(len(text) for text in statuses.values())
        kind_width = max(len(str(DayKind(d.kind).label)) for d in days)
        for d in days:
            line = (
                f"{d.date.isoformat()} {date_format(d.date, 'D'):<3} "
                f"{statuses[d.is_working]:<{status_width}}  "
                f"{DayKind(d.kind).label!s:<{kind_width}}  {d.name}"
            )
            self.stdout.write(line.rstrip())

    def _load(self, options: dict[str, Any]) -> None:
        written = workdays_load_year(year=_integer(options["year"], "--year"))
        self.stdout.write(_("loaded: %(years)s") % {"years": ", ".join(map(str, written))})

    def _ensure(self, options: dict[str, Any]) -> None:
        through = options["through"]
        year = _integer(through, "--through") if through else clock.today().year + 1
        missing = workdays_ensure_loaded(through_year=year)
        if missing:
            self.stdout.write(_("loaded: %(years)s") % {"years": ", ".join(map(str, missing))})
        else:
            self.stdout.write(_("nothing to load through %(year)s") % {"year": year})
