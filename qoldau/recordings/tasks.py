"""Background and periodic work of recordings. The periodic ones are scheduled in
config/tasks.py; each calls one service."""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from qoldau.recordings.requests import recording_delivery_expire_sweep, recording_request_sweep_late
from qoldau.recordings.services import recording_fetch_safely, recording_purge_expired


@db_task(retries=5, retry_delay=120)
def fetch_recording(call_id: str) -> int | None:
    """Copy one call's recording from the PBX into the store (idempotent per call); a
    temporary failure (the PBX not reachable, the file not written yet) is retried."""
    recording = recording_fetch_safely(call_id=call_id)
    return recording.pk if recording is not None else None


def sweep_late() -> int:
    """Every minute: flag recording requests past their four-hour due time (p.14)."""
    return recording_request_sweep_late()


def expire_deliveries() -> int:
    """Every 10 minutes: close the downloads whose time ran out."""
    return recording_delivery_expire_sweep()


def purge_expired() -> int:
    """Daily: delete recordings past their retention that no request holds (ADR 0006)."""
    return recording_purge_expired()
