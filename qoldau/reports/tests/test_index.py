"""The covering index that serves the figures exists (a telephony migration that rebuilds the
table on SQLite would drop it silently; this test catches that)."""

from __future__ import annotations

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def test_the_call_metrics_index_exists() -> None:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "telephony_callrecord")
    index = constraints.get("reports_call_metrics_idx")
    assert index is not None
    assert index["columns"] == ["arrived_at", "queue", "language", "abandoned", "wait_seconds"]
