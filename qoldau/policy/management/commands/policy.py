"""``qoldau policy show``: the numbers of the Rules in force (or all versions with --all)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _

from qoldau.policy.enums import Unit
from qoldau.policy.models import PolicyRule
from qoldau.policy.selectors import policy_rule_list


def _number(rule: PolicyRule) -> str:
    return format(rule.value.normalize(), "f")


class Command(BaseCommand):
    help = "The Rules as data. `policy show [--lang kk|ru|en] [--all] [--at YYYY-MM-DD]`."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        show = sub.add_parser("show", help="print the table of rules")
        show.add_argument("--lang", choices=("kk", "ru", "en"))
        show.add_argument("--all", action="store_true", help="include past and future versions")
        show.add_argument("--at", help="the rules in force on this date (default: today)")

    def handle(self, *args: Any, **options: Any) -> None:
        with translation.override(options["lang"] or translation.get_language()):
            self._show(options)

    def _show(self, options: dict[str, Any]) -> None:
        at: dt.date | None = None
        if options["at"]:
            try:
                at = dt.date.fromisoformat(options["at"])
            except ValueError:
                raise CommandError(
                    _("Not a date: %(value)r (write it as YYYY-MM-DD).") % {"value": options["at"]}
                ) from None
        rules = policy_rule_list(at=at, include_history=options["all"])
        header = [
            _("code"),
            _("value"),
            _("unit"),
            _("paragraph 2016"),
            _("paragraph 2013"),
            _("valid from"),
            _("valid to"),
            _("text"),
            _("title"),
        ]
        rows = [
            [
                rule.code,
                _number(rule),
                str(Unit(rule.unit).label),
                rule.paragraph_2016 or "-",
                rule.paragraph_2013 or "-",
                rule.valid_from.isoformat(),
                rule.valid_to.isoformat() if rule.valid_to else "-",
                rule.text_variant or "*",
                rule.title,
            ]
            for rule in rules
        ]
        widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header) - 1)]
        for row in [header, *rows]:
            cells = [str(cell).ljust(width) for cell, width in zip(row, widths, strict=False)]
            self.stdout.write("  ".join([*cells, str(row[-1])]).rstrip())
        self.stdout.write(
            _("Text variant in use for p.20 (QOLDAU_P20_TEXT): %(variant)s; * = all texts.")
            % {"variant": settings.QOLDAU_P20_TEXT}
        )
