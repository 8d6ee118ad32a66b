"""The screens: the audio view with HTTP Range requests, who reaches what, the request form's
field errors in the user's language, the downloads with their SHA-256 (R17)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from qoldau.audit.models import AuditEvent
from qoldau.recordings.models import Recording, RecordingRequest
from qoldau.recordings.ports import recording_store
from qoldau.recordings.ranges import ByteRange, Unsatisfiable, parse_range
from qoldau.recordings.requests import recording_request_deliver, recording_request_file
from qoldau.recordings.wav import synthetic_pdf

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 12, 3, 5, 0, tzinfo=dt.UTC)


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("", None),
        ("bytes=0-", ByteRange(0, 99)),
        ("bytes=10-19", ByteRange(10, 19)),
        ("bytes=90-500", ByteRange(90, 99)),
        ("bytes=-10", ByteRange(90, 99)),
        ("bytes=-500", ByteRange(0, 99)),
        ("bytes=0-1,5-6", None),
        ("items=0-1", None),
        ("bytes=20-10", None),
    ],
)
def test_parse_range(header: str, expected: ByteRange | None) -> None:
    assert parse_range(header, 100) == expected


@pytest.mark.parametrize("header", ["bytes=100-", "bytes=-0"])
def test_unsatisfiable_ranges(header: str) -> None:
    with pytest.raises(Unsatisfiable):
        parse_range(header, 100)


def test_the_audio_view_serves_ranges_and_audits_each_listening(
    recorded: Callable[..., Recording], supervisor: Any
) -> None:
    recording = recorded("c1", caller="+77012345678", at=T0, seconds=2)
    data = b"".join(recording_store().open(recording.storage_key))
    url = reverse("recordings:audio", args=[recording.pk])
    client = _client(supervisor)

    whole = client.get(url)
    assert whole.status_code == 200
    assert whole["Accept-Ranges"] == "bytes"
    assert whole["Content-Type"] == "audio/wav"
    assert int(whole["Content-Length"]) == len(data)
    assert _body(whole) == data

    part = client.get(url, HTTP_RANGE="bytes=100-199")
    assert part.status_code == 206
    assert part["Content-Range"] == f"bytes 100-199/{len(data)}"
    assert part["Content-Length"] == "100"
    assert _body(part) == data[100:200]

    tail = client.get(url, HTTP_RANGE="bytes=-44")
    assert tail.status_code == 206
    assert _body(tail) == data[-44:]

    refused = client.get(url, HTTP_RANGE=f"bytes={len(data)}-")
    assert refused.status_code == 416
    assert refused["Content-Range"] == f"bytes */{len(data)}"
    assert AuditEvent.objects.filter(action="recordings.listened").count() == 4


def test_nobody_else_reaches_a_recording(
    recorded: Callable[..., Recording],
    operator: Any,
    partner: Any,
    citizen: Any,
    officer: Any,
) -> None:
    recording = recorded("c2", caller="+77012345678", at=T0)
    urls = [
        reverse("recordings:audio", args=[recording.pk]),
        reverse("recordings:call_detail", args=[recording.call_id]),
        reverse("recordings:call_list"),
        reverse("recordings:queue"),
    ]
    for user in (operator, partner, citizen, officer):
        client = _client(user)
        for url in urls:
            assert client.get(url).status_code == 403, (user, url)
    anonymous = Client()
    for url in urls:
        assert anonymous.get(url).status_code == 302  # to the sign-in page
    assert not AuditEvent.objects.filter(action="recordings.listened").exists()


def test_the_call_page_has_a_player(recorded: Callable[..., Recording], ucc_admin: Any) -> None:
    recording = recorded("c3", caller="+77012345678", at=T0)
    response = _client(ucc_admin).get(f"/kk/recordings/calls/{recording.call_id}/")
    text = response.content.decode()
    assert response.status_code == 200
    assert f'src="/kk/recordings/{recording.pk}/audio/"' in text
    assert "+7701•••78" in text  # the number is masked on the call page


def test_the_form_names_each_field_in_the_users_language(officer: Any) -> None:
    client = _client(officer)
    response = client.post("/kk/recordings/requests/new/", {"call_date": "", "phone": "123"})
    assert response.status_code == 422
    text = response.content.decode()
    assert "Жазбаша сұрау салуды қоса тіркеңіз" in text
    assert "Қоңыраудың күнін көрсетіңіз." in text
    response = client.post(
        "/ru/recordings/requests/new/", {"call_date": "2026-12-03", "phone": "1"}
    )
    assert "Приложите письменный запрос" in response.content.decode()
    assert RecordingRequest.objects.count() == 0


def test_filing_through_the_form(officer: Any) -> None:
    client = _client(officer)
    upload = io.BytesIO(synthetic_pdf())
    upload.name = "letter.pdf"
    with time_machine.travel(dt.datetime(2026, 12, 4, 10, tzinfo=dt.UTC), tick=False):
        response = client.post(
            "/en/recordings/requests/new/",
            {"call_date": "2026-12-03", "phone": "+7 701 234 56 78", "document": upload},
        )
    request = RecordingRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/en/recordings/requests/{request.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "4 hours 0 minutes left" not in page  # time moved on since
    assert "letter.pdf" in page


def test_only_authorized_bodies_reach_the_request_form(
    operator: Any, partner: Any, citizen: Any, supervisor: Any
) -> None:
    for user in (operator, partner, citizen):
        client = _client(user)
        assert client.get("/en/recordings/requests/new/").status_code == 403
        assert (
            client.post("/en/recordings/requests/new/", {"phone": "87012345678"}).status_code == 403
        )
    # The quality staff are sent from the bodies' list to their queue.
    response = _client(supervisor).get("/en/recordings/requests/")
    assert response.status_code == 302
    assert response["Location"] == "/en/recordings/queue/"
    assert RecordingRequest.objects.count() == 0


def test_the_delivery_lists_sha256_and_serves_a_zip_and_files(
    recorded: Callable[..., Recording], officer: Any, other_officer: Any, supervisor: Any
) -> None:
    recordings = [
        recorded("d1", caller="+77012345678", at=T0),
        recorded("d2", caller="+77012345678", at=T0 + dt.timedelta(hours=1)),
    ]
    request = recording_request_file(
        actor=officer, call_date=dt.date(2026, 12, 3), phone="87012345678", document=synthetic_pdf()
    )
    queue = _client(supervisor).get("/en/recordings/queue/").content.decode()
    assert f"/en/recordings/requests/{request.pk}/" in queue
    detail = _client(supervisor).get(f"/en/recordings/requests/{request.pk}/").content.decode()
    assert detail.count("<audio") == 2
    recording_request_deliver(
        actor=supervisor, request_id=request.pk, recording_ids=[r.pk for r in recordings]
    )
    client = _client(officer)
    page = client.get(f"/en/recordings/requests/{request.pk}/").content.decode()
    for recording in recordings:
        assert recording.sha256 in page
    assert "<audio" not in page  # the body downloads; it does not listen in the system
    archive = client.get(f"/en/recordings/requests/{request.pk}/download/")
    assert archive.status_code == 200
    assert archive["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(_body(archive))) as zipped:
        sums = zipped.read("SHA256SUMS").decode().splitlines()
        for line in sums:
            digest, name = line.split("  ")
            assert hashlib.sha256(zipped.read(name)).hexdigest() == digest
    assert {line.split("  ")[0] for line in sums} == {r.sha256 for r in recordings}
    file_id = request.files.order_by("pk").values_list("pk", flat=True)[0]
    single = client.get(f"/en/recordings/requests/{request.pk}/download/{file_id}/")
    assert single.status_code == 200
    assert hashlib.sha256(_body(single)).hexdigest() == recordings[0].sha256
    assert (
        _client(other_officer).get(f"/en/recordings/requests/{request.pk}/download/").status_code
        == 404
    )
    assert _client(other_officer).get(f"/en/recordings/requests/{request.pk}/").status_code == 404
    with time_machine.travel(dt.datetime(2030, 1, 1, tzinfo=dt.UTC), tick=False):
        later = _client(officer)  # a new sign-in: the old session ran out too
        gone = later.get(f"/en/recordings/requests/{request.pk}/download/")
        assert gone.status_code == 410
        assert "The download is not available" in gone.content.decode()
        page = later.get(f"/en/recordings/requests/{request.pk}/").content.decode()
        assert "The download has expired." in page
    assert AuditEvent.objects.filter(action="recordings.downloaded").count() == 2


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_pages_render_in_every_language(
    language: str, officer: Any, supervisor: Any, recorded: Callable[..., Recording]
) -> None:
    recorded("p1", caller="+77012345678", at=T0)
    request = recording_request_file(
        actor=officer, call_date=dt.date(2026, 12, 3), phone="87012345678", document=synthetic_pdf()
    )
    for user, path in (
        (officer, "requests/"),
        (officer, "requests/new/"),
        (officer, f"requests/{request.pk}/"),
        (officer, f"requests/{request.pk}/document/"),
        (supervisor, "queue/"),
        (supervisor, "calls/"),
        (supervisor, f"requests/{request.pk}/"),
    ):
        response = _client(user).get(f"/{language}/recordings/{path}")
        assert response.status_code == 200, path
