"""Demo call history: finished calls of the last hours, so the wallboard's chart of the day and
the quality figures have something to show from the first minute."""

from __future__ import annotations

from django.conf import settings

from qoldau.registry.models import PublicService
from qoldau.routing.models import Operator
from qoldau.telephony.adapters.simulator import SimulatorConfig, simulator_backfill
from qoldau.telephony.models import CallRecord
from qoldau.telephony.services import call_event_ingest


def load_demo_call_history(*, hours: float, bot_prefix: str = "bot.") -> int:
    """Make the calls once (nothing when simulated calls exist). Past calls are not offered to
    anyone: with no control of a PBX the router only follows who answered."""
    if CallRecord.objects.filter(source="simulator").exists():
        return 0
    extensions = list(
        Operator.objects.filter(user__username__startswith=bot_prefix)
        .exclude(extension="")
        .values_list("extension", flat=True)
    )
    services = tuple(
        PublicService.objects.filter(routing_skill__isnull=False).values_list(
            "register_number", flat=True
        )
    )
    config = SimulatorConfig(day_floor=0.85, services=services)
    mode = settings.TELEPHONY_CONTROL
    settings.TELEPHONY_CONTROL = ""
    try:
        return simulator_backfill(
            sink=call_event_ingest, hours=hours, extensions=extensions, config=config
        )
    finally:
        settings.TELEPHONY_CONTROL = mode
