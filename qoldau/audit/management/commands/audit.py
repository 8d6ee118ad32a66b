from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from qoldau.audit.selectors import audit_verify_all


class Command(BaseCommand):
    help = (
        "Audit trail tools. `audit verify` checks every hash chain for changed or deleted events."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["verify"])

    def handle(self, *args: Any, **options: Any) -> None:
        reports = audit_verify_all()
        broken = False
        for report in reports:
            if report.problems:
                broken = True
                for problem in report.problems:
                    self.stdout.write(f"{report.chain}: {problem}")
            else:
                self.stdout.write(f"{report.chain}: {report.events} events, chain intact")
        if broken:
            raise CommandError("the audit trail has been tampered with")
