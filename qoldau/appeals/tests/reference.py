"""Reference data from the data migrations (regions, working-day calendar, the Rules, lines and
answer templates), put back for transactional tests: another app's transactional test may have
flushed the tables before ours ran in the same process."""

from __future__ import annotations

import importlib

from django.apps import apps

SEEDS = (
    ("qoldau.registry.migrations.0003_seed_regions", "seed_regions"),
    ("qoldau.workdays.migrations.0002_seed_calendar", "seed"),
    ("qoldau.policy.migrations.0002_seed_rules", "seed"),
    ("qoldau.policy.migrations.0003_recording_retention", "seed"),
    ("qoldau.appeals.migrations.0002_seed_lines_templates", "seed"),
)


def ensure_reference_data() -> None:
    """Idempotent: each seed updates or creates its rows."""
    for module, function in SEEDS:
        getattr(importlib.import_module(module), function)(apps, None)
