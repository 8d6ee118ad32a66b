"""``qoldau appeals sweep`` (flag overdue appeals), ``purge-keys`` and ``demo`` (demo appeals)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from qoldau.appeals.demo import appeals_load_demo
from qoldau.appeals.services import appeal_sweep_overdue, idempotency_key_purge


class Command(BaseCommand):
    help = "Appeals maintenance: sweep overdue appeals, purge old idempotency keys."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["sweep", "purge-keys", "demo"])

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "sweep":
            self.stdout.write(f"flagged {appeal_sweep_overdue()} overdue appeals")
        elif options["action"] == "demo":
            self.stdout.write(f"registered {appeals_load_demo()} demo appeals")
        else:
            self.stdout.write(f"purged {idempotency_key_purge()} idempotency keys")
