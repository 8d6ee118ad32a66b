"""Handlers of other apps' domain events (``qoldau.core.events``), subscribed in apps.py."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from qoldau.knowledge.services import review_flags_raise


def on_bylaw_changed(
    *,
    service_ids: Iterable[int],
    amendment_id: int,
    occurred_at: dt.datetime,
    **_extra: Any,
) -> None:
    """R23, Rules p.26: a by-law changed, so the articles of its services are flagged for review.
    Runs inside the registry's transaction: if flagging fails, the change is not recorded."""
    review_flags_raise(
        service_ids=[int(pk) for pk in service_ids],
        amendment_id=int(amendment_id),
        occurred_at=occurred_at,
    )
