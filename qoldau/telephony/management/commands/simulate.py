"""``qoldau simulate``: simulated 1414 traffic for the demo (the traffic simulator adapter)."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from qoldau.registry.models import PublicService
from qoldau.telephony.adapters.simulator import (
    Simulator,
    SimulatorConfig,
    simulator_close_orphans,
)
from qoldau.telephony.demo import load_demo_call_history
from qoldau.telephony.services import call_event_ingest

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Simulate calls to the hotline: arrivals by time of day, waits, answers, ratings."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--peak-per-hour", type=float, default=240.0)
        parser.add_argument(
            "--day-floor",
            type=float,
            default=0.0,
            help="the lowest arrival rate as a share of the peak (0: the day's shape alone)",
        )
        parser.add_argument("--kk-share", type=float, default=0.6)
        parser.add_argument("--handle-mean", type=float, default=150.0)
        parser.add_argument("--patience-mean", type=float, default=120.0)
        parser.add_argument("--seconds", type=float, default=0.0, help="stop after (0: never)")
        parser.add_argument("--seed", type=int, default=None)
        parser.add_argument(
            "--backfill-hours",
            type=float,
            default=0.0,
            help="first make finished calls of the last hours (when there are none yet)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("the traffic simulator is for the demo and tests only")
        if str(getattr(settings, "TELEPHONY_CONTROL", "")) != "simulator":
            raise CommandError("set TELEPHONY_CONTROL=simulator so the router's commands reach it")
        services = tuple(
            PublicService.objects.filter(routing_skill__isnull=False).values_list(
                "register_number", flat=True
            )
        )
        config = SimulatorConfig(
            peak_per_hour=options["peak_per_hour"],
            day_floor=options["day_floor"],
            kk_share=options["kk_share"],
            handle_mean=options["handle_mean"],
            patience_mean=options["patience_mean"],
            services=services,
            # Where the recordings app may read the PBX's files from (RECORDINGS_PBX_LOCAL_ROOTS).
            recordings_dir=Path(_pbx_root()) / "simulator",
        )
        simulator = Simulator(config=config, sink=call_event_ingest, seed=options["seed"])
        closed = simulator_close_orphans(sink=call_event_ingest)
        if options["backfill_hours"]:
            made = load_demo_call_history(hours=options["backfill_hours"])
            self.stdout.write(f"Made {made} finished calls of the last hours for the figures.")
        self.stdout.write(f"Simulating calls ({closed} left open by an earlier run closed) …")
        deadline = time.monotonic() + options["seconds"] if options["seconds"] else None
        while deadline is None or time.monotonic() < deadline:
            started = time.monotonic()
            try:
                simulator.step()
            except Exception:
                logger.exception("simulator: step failed; going on")
            time.sleep(max(0.0, 1.0 - (time.monotonic() - started)))


def _pbx_root() -> str:
    roots = list(getattr(settings, "RECORDINGS_PBX_LOCAL_ROOTS", []) or [])
    return str(roots[0]) if roots else str(Path(settings.BASE_DIR) / "var" / "pbx")
