"""Reactions to other apps' domain events (subscribed in ``apps.RecordingsConfig.ready``)."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db import transaction


def _enqueue_fetch(call_id: str) -> None:
    from qoldau.recordings.tasks import fetch_recording

    fetch_recording(call_id)


def on_recording_available(*, call: Any, **_: Any) -> None:
    """The PBX reported a recording: copy it into the store after the event's transaction
    commits (a Huey task; idempotent per call, so a repeated event copies nothing twice)."""
    transaction.on_commit(partial(_enqueue_fetch, str(call.call_id)))
