"""``qoldau router``: the router's clock, once a second (offers that time out, queue steps that
move on, wrap-ups that end), and the delivery of commands to the PBX (docs/telephony.md)."""

from __future__ import annotations

import gc
import logging
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import OperationalError

from qoldau.routing.services import routing_tick

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Run the router's clock every second (expiry, step timeouts, wrap-ups)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--interval", type=float, default=1.0)
        parser.add_argument("--once", action="store_true", help="one tick, then stop")

    def handle(self, *args: Any, **options: Any) -> None:
        from qoldau.core.outbox import outbox_deliver_due
        from qoldau.telephony.control import CHANNEL, control_mode

        interval = max(0.1, float(options["interval"]))
        gc.freeze()  # start-up's objects live as long as the process: out of full collections
        while True:
            started = time.monotonic()
            try:
                result = routing_tick()
                if control_mode() == "webhook":
                    outbox_deliver_due(channel=CHANNEL, limit=200)
                if options["once"]:
                    self.stdout.write(
                        f"expired {result.expired}, escalated {result.escalated}, "
                        f"wrapped up {result.wrapped_up}, offered {result.offered}"
                    )
                    return
            except OperationalError:  # the database is busy or restarting: try next second
                logger.warning("router: tick skipped (database unavailable)")
            time.sleep(max(0.0, interval - (time.monotonic() - started)))
