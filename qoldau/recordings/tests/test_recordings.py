"""Recordings: copied from the PBX on the telephony event (after commit, idempotent per call),
heard only by the quality staff with every listening audited, purged after retention unless a
request holds them (R17, R2)."""

from __future__ import annotations

import datetime as dt
import hashlib
import http.server
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine

from qoldau.audit.models import AuditEvent
from qoldau.core.errors import PermissionDenied
from qoldau.recordings.fetching import FetchError
from qoldau.recordings.models import Recording
from qoldau.recordings.ports import recording_store
from qoldau.recordings.requests import recording_request_file
from qoldau.recordings.services import (
    recording_fetch,
    recording_fetch_safely,
    recording_listen,
    recording_purge_expired,
)
from qoldau.recordings.wav import synthetic_pdf, synthetic_wav
from qoldau.telephony.models import CallRecord
from qoldau.telephony.ports import CallEvent, CallEventKind
from qoldau.telephony.services import call_event_ingest

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 12, 3, 4, 0, tzinfo=dt.UTC)  # 09:00 in Almaty


def test_the_recording_event_copies_the_file_after_commit(
    make_call: Callable[..., CallRecord], django_capture_on_commit_callbacks: Any, pbx: Path
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        call = make_call("c-1", caller="+77012345678", at=T0, seconds=1.5)
    assert len(callbacks) == 1  # scheduled after commit, run by Huey (immediate in tests)
    recording = Recording.objects.get(call=call)
    data = (pbx / "c-1.wav").read_bytes()
    assert (recording.size, recording.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert recording.content_type == "audio/wav"
    assert recording.storage_key.startswith("calls/2026/12/03/c-1-")
    assert b"".join(recording_store().open(recording.storage_key)) == data
    # Retention: the policy setting (12 months), stored with its rule.
    assert recording.retain_until == dt.datetime(2027, 12, 3, 4, 0, tzinfo=dt.UTC)
    assert recording.retention_rule.code == "recording_retention"
    assert AuditEvent.objects.filter(action="recordings.stored").count() == 1


def test_nothing_is_scheduled_when_the_transaction_rolls_back(
    make_call: Callable[..., CallRecord], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        make_call("c-2", caller="+77012345678", at=T0)
    assert len(callbacks) == 1
    assert Recording.objects.count() == 0  # not run: it waits for the commit


def test_fetch_is_idempotent_per_call(make_call: Callable[..., CallRecord], pbx: Path) -> None:
    make_call("c-3", caller="+77012345678", at=T0)
    first = recording_fetch(call_id="c-3")
    (pbx / "c-3.wav").write_bytes(b"changed afterwards")
    second = recording_fetch(call_id="c-3")
    assert first is not None
    assert second is not None
    assert first.pk == second.pk
    assert second.sha256 == first.sha256
    # A repeated event from the PBX changes nothing either.
    call_event_ingest(
        CallEvent(
            "c-3",
            3,
            CallEventKind.RECORDING,
            T0 + dt.timedelta(seconds=40),
            recording_uri=(pbx / "c-3.wav").as_uri(),
            recording_seconds=1,
        )
    )
    assert Recording.objects.filter(call__call_id="c-3").count() == 1
    assert AuditEvent.objects.filter(action="recordings.stored").count() == 1


def test_a_call_without_a_recording_has_none(make_call: Callable[..., CallRecord]) -> None:
    make_call("c-4", caller="+77012345678", at=T0, wav=False)
    assert recording_fetch(call_id="c-4") is None


def test_files_outside_the_pbx_folders_are_never_read(
    make_call: Callable[..., CallRecord], tmp_path: Path
) -> None:
    secret = tmp_path / "secret.wav"
    secret.write_bytes(b"not a recording")
    make_call("c-5", caller="+77012345678", at=T0, wav=False)
    CallRecord.objects.filter(call_id="c-5").update(recording_uri=secret.as_uri())
    with pytest.raises(FetchError) as raised:
        recording_fetch(call_id="c-5")
    assert raised.value.permanent
    assert recording_fetch_safely(call_id="c-5") is None  # logged, not retried
    CallRecord.objects.filter(call_id="c-5").update(recording_uri="ftp://pbx/c5.wav")
    assert recording_fetch_safely(call_id="c-5") is None
    assert Recording.objects.count() == 0


def test_a_file_not_written_yet_is_a_temporary_failure(
    make_call: Callable[..., CallRecord], pbx: Path
) -> None:
    make_call("c-6", caller="+77012345678", at=T0, wav=False)
    CallRecord.objects.filter(call_id="c-6").update(recording_uri=str(pbx / "later.wav"))
    with pytest.raises(FetchError) as raised:
        recording_fetch_safely(call_id="c-6")  # raised again: Huey retries it
    assert not raised.value.permanent
    (pbx / "later.wav").write_bytes(synthetic_wav(0.5))
    assert recording_fetch(call_id="c-6") is not None  # a plain local path works too


@pytest.fixture
def http_pbx() -> Iterator[str]:
    body = synthetic_wav(0.5)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != "/rec/c7.wav":
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "audio/x-wav")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_an_http_recording_is_fetched(make_call: Callable[..., CallRecord], http_pbx: str) -> None:
    make_call("c-7", caller="+77012345678", at=T0, wav=False)
    CallRecord.objects.filter(call_id="c-7").update(recording_uri=f"{http_pbx}/rec/c7.wav")
    recording = recording_fetch(call_id="c-7")
    assert recording is not None
    assert recording.sha256 == hashlib.sha256(synthetic_wav(0.5)).hexdigest()
    assert recording.content_type == "audio/x-wav"
    CallRecord.objects.filter(call_id="c-7").update(recording_uri=f"{http_pbx}/rec/none.wav")
    make_call("c-8", caller="+77012345678", at=T0, wav=False)
    CallRecord.objects.filter(call_id="c-8").update(recording_uri=f"{http_pbx}/rec/none.wav")
    with pytest.raises(FetchError):
        recording_fetch(call_id="c-8")


def test_a_recording_over_the_size_limit_is_refused(
    make_call: Callable[..., CallRecord], settings: Any
) -> None:
    settings.RECORDINGS_FETCH_MAX_BYTES = 100
    make_call("c-9", caller="+77012345678", at=T0, seconds=1)
    with pytest.raises(FetchError) as raised:
        recording_fetch(call_id="c-9")
    assert raised.value.permanent
    assert Recording.objects.count() == 0


def test_only_quality_staff_listen_and_every_listening_is_audited(
    recorded: Callable[..., Recording],
    supervisor: Any,
    ucc_admin: Any,
    operator: Any,
    partner: Any,
    citizen: Any,
    officer: Any,
) -> None:
    recording = recorded("c-10", caller="+77012345678", at=T0)
    recording_listen(actor=supervisor, recording_id=recording.pk, byte_range="bytes=0-")
    recording_listen(actor=ucc_admin, recording_id=recording.pk, request_id=7)
    events = list(AuditEvent.objects.filter(action="recordings.listened").order_by("seq"))
    assert [e.actor_user_id for e in events] == [supervisor.pk, ucc_admin.pk]
    assert events[0].changes["range"] == "bytes=0-"
    assert events[1].changes["request"] == 7
    before = AuditEvent.objects.count()
    for outsider in (operator, partner, citizen, officer, None):
        with pytest.raises(PermissionDenied):
            recording_listen(actor=outsider, recording_id=recording.pk)
    assert AuditEvent.objects.count() == before


def test_retention_purges_old_recordings_unless_a_request_holds_them(
    recorded: Callable[..., Recording], officer: Any
) -> None:
    held = recorded("old-held", caller="+77012345678", at=T0)
    free = recorded("old-free", caller="+77017654321", at=T0)
    fresh = recorded("fresh", caller="+77017654321", at=T0 + dt.timedelta(days=200))
    with time_machine.travel(T0 + dt.timedelta(days=1), tick=False):
        recording_request_file(
            actor=officer,
            call_date=dt.date(2026, 12, 3),
            phone="+77012345678",
            document=synthetic_pdf(),
        )
    with time_machine.travel(dt.datetime(2027, 12, 10, tzinfo=dt.UTC), tick=False):
        assert recording_purge_expired() == 1
        assert recording_purge_expired() == 0
    store = recording_store()
    for item in (held, free, fresh):
        item.refresh_from_db()
    assert free.deleted_at is not None
    assert not store.exists(free.storage_key)
    assert held.deleted_at is None
    assert store.exists(held.storage_key)
    assert fresh.deleted_at is None
    assert store.exists(fresh.storage_key)
    assert AuditEvent.objects.filter(action="recordings.purged", target_id=str(free.pk)).exists()
