"""Demo recordings: a few calls with short generated WAV recordings, copied into the store
through the same services, and one recording request of the quality body (R17)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.conf import settings

from qoldau.accounts.enums import Role
from qoldau.core import clock
from qoldau.recordings.models import RecordingRequest
from qoldau.recordings.requests import recording_request_file
from qoldau.recordings.selectors import users_with_role
from qoldau.recordings.services import recording_fetch
from qoldau.recordings.wav import synthetic_pdf, synthetic_wav
from qoldau.telephony.models import CallRecord
from qoldau.telephony.ports import CallEvent, CallEventKind
from qoldau.telephony.services import call_event_ingest

DEMO_CALLER = "8 701 234 56 78"
# Yesterday's calls (Almaty time), so they are in the past and on one date whenever it runs.
DEMO_CALLS = (
    ("demo-rec-1", DEMO_CALLER, dt.time(10, 5), 3.0, (440.0, 550.0)),
    ("demo-rec-2", DEMO_CALLER, dt.time(15, 40), 2.0, (660.0, 440.0)),
    ("demo-rec-3", "+7 777 123 45 67", dt.time(11, 20), 2.5, (520.0,)),
)


def _demo_day() -> dt.date:
    return clock.today() - dt.timedelta(days=1)


def _calls(root: Path) -> list[str]:
    made = []
    for call_id, caller, at, seconds, tones in DEMO_CALLS:
        if CallRecord.objects.filter(call_id=call_id).exists():
            continue  # loaded on an earlier day: the events of a call never change
        start = dt.datetime.combine(_demo_day(), at, tzinfo=clock.local_zone())
        path = root / f"{call_id}.wav"
        if not path.exists():
            path.write_bytes(synthetic_wav(seconds, tones=tones))
        events = [
            CallEvent(
                call_id,
                1,
                CallEventKind.ARRIVED,
                start,
                "simulator",
                line="1414",
                caller=caller,
                language="kk",
            ),
            CallEvent(
                call_id, 2, CallEventKind.ANSWERED, start + dt.timedelta(seconds=12), "simulator"
            ),
            CallEvent(
                call_id,
                3,
                CallEventKind.ENDED,
                start + dt.timedelta(seconds=12 + seconds),
                "simulator",
                reason="caller",
            ),
            CallEvent(
                call_id,
                4,
                CallEventKind.RECORDING,
                start + dt.timedelta(seconds=20 + seconds),
                "simulator",
                recording_uri=path.resolve().as_uri(),
                recording_seconds=int(seconds),
            ),
        ]
        for event in events:
            call_event_ingest(event)
        recording_fetch(call_id=call_id)
        made.append(call_id)
    return made


def recordings_load_demo() -> int:
    """Make the demo calls and their recordings, and one request (once); returns how many
    calls were made now."""
    root = Path(settings.RECORDINGS_PBX_LOCAL_ROOTS[0])
    root.mkdir(parents=True, exist_ok=True)
    made = _calls(root)
    officer = users_with_role(Role.QUALITY_OFFICER).filter(organisation__isnull=False).first()
    if officer is not None and not RecordingRequest.objects.exists():
        recording_request_file(
            actor=officer,
            call_date=_demo_day(),
            phone=DEMO_CALLER,
            document=synthetic_pdf("Request for call recordings No. 14-01/77"),
            document_name="request-14-01-77.pdf",
            reference="14-01/77",
        )
    return len(made)
