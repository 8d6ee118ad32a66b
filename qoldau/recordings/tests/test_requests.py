"""Recording requests (R17, Rules p.14): filed only by an authorized body with the written
document, the four-hour clock stored with its rule, calls matched on the Almaty date in every
form of the number, delivery as an expiring download, the late sweep, every step audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.utils import translation

from qoldau.appeals.tests.reference import ensure_reference_data
from qoldau.audit.models import AuditEvent
from qoldau.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from qoldau.core.models import OutboxMessage
from qoldau.core.tests.concurrency import run_together
from qoldau.recordings.enums import RequestStatus
from qoldau.recordings.models import Recording, RecordingRequest, RequestMatch
from qoldau.recordings.ports import recording_store
from qoldau.recordings.requests import (
    recording_delivery_download,
    recording_delivery_expire_sweep,
    recording_request_answer_none,
    recording_request_deliver,
    recording_request_file,
    recording_request_open,
    recording_request_sweep_late,
)
from qoldau.recordings.selectors import request_found_calls, request_list_for_body, request_queue
from qoldau.recordings.transitions import TRANSITIONS, transition_target
from qoldau.recordings.wav import synthetic_pdf

pytestmark = pytest.mark.django_db
ALMATY = dt.timezone(dt.timedelta(hours=5))
FILED = dt.datetime(2026, 12, 4, 10, 0, tzinfo=ALMATY)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def _file(actor: Any, **overrides: Any) -> RecordingRequest:
    data: dict[str, Any] = {
        "call_date": dt.date(2026, 12, 3),
        "phone": "8 701 234 56 78",
        "document": synthetic_pdf(),
        "document_name": "letter.pdf",
    }
    data.update(overrides)
    with time_machine.travel(FILED, tick=False):
        return recording_request_file(actor=actor, **data)


def _nothing_stored() -> None:
    assert RecordingRequest.objects.count() == 0
    assert RequestMatch.objects.count() == 0
    assert not AuditEvent.objects.filter(action="recordings.request_filed").exists()
    assert not recording_store().exists("requests")


def test_filing_starts_the_four_hour_clock_with_its_rule(officer: Any) -> None:
    request = _file(officer, reference="14-01/77")
    assert request.status == RequestStatus.FILED
    assert request.filed_at == FILED
    assert request.due_at == FILED + dt.timedelta(hours=4)
    assert request.due_rule.code == "recording_delivery"
    assert request.due_citation == "Rules p.14 (2016)"
    assert request.organisation_id == officer.organisation_id
    assert request.phone == "+77012345678"
    assert request.document_type == "application/pdf"
    assert b"".join(recording_store().open(request.document_key)) == synthetic_pdf()
    event = AuditEvent.objects.get(action="recordings.request_filed")
    assert event.actor_user_id == officer.pk
    assert event.changes["due_rule"] == request.due_rule_id


def test_the_same_request_sent_again_while_open_is_the_first(officer: Any) -> None:
    first = _file(officer)
    again = _file(officer, phone="+7 701 234 56 78", reference="resent")  # the same number
    assert again.pk == first.pk
    assert RecordingRequest.objects.count() == 1
    assert AuditEvent.objects.filter(action="recordings.request_filed").count() == 1
    assert again.document_key == first.document_key  # the second copy was not kept
    # Another document, or another date, is another request.
    other = _file(officer, document=synthetic_pdf("Second letter"))
    later = _file(officer, call_date=dt.date(2026, 12, 2))
    assert len({first.pk, other.pk, later.pk}) == 3


@pytest.fixture
def reference_data(transactional_db: None) -> None:
    """The regions and Rules the migrations load, put back if another transactional test
    emptied the tables."""
    ensure_reference_data()


@pytest.mark.skipif(
    "sqlite" in settings.DATABASES["default"]["ENGINE"],
    reason="threads need a server database; SQLite serialises writers anyway",
)
@pytest.mark.django_db(transaction=True)
def test_the_same_request_sent_twice_at_once_is_filed_once(
    reference_data: None, officer: Any
) -> None:
    def send() -> int:
        return int(_file(officer).pk)

    filed = run_together([send, send])
    assert all(isinstance(pk, int) for pk in filed), filed
    assert len(set(filed)) == 1
    assert RecordingRequest.objects.count() == 1


@pytest.mark.parametrize("phone", ["8 701 234 56 78", "+7 701 234 56 78", "701 234 56 78"])
def test_calls_are_found_on_the_almaty_date_in_every_form_of_the_number(
    officer: Any, recorded: Callable[..., Recording], phone: str
) -> None:
    # 3 December in Almaty runs from 2 December 19:00 to 3 December 19:00 UTC.
    early = recorded(
        "early", caller="+77012345678", at=dt.datetime(2026, 12, 2, 19, 5, tzinfo=dt.UTC)
    )
    late = recorded(
        "late", caller="87012345678", at=dt.datetime(2026, 12, 3, 18, 55, tzinfo=dt.UTC)
    )
    recorded("next-day", caller="+77012345678", at=dt.datetime(2026, 12, 3, 19, 5, tzinfo=dt.UTC))
    recorded(
        "day-before", caller="+77012345678", at=dt.datetime(2026, 12, 2, 18, 55, tzinfo=dt.UTC)
    )
    recorded("other-number", caller="+77017654321", at=dt.datetime(2026, 12, 3, 6, tzinfo=dt.UTC))
    request = _file(officer, phone=phone)
    found = request_found_calls(request=request)
    assert [f.call.call_id for f in found] == ["early", "late"]
    assert [f.recording.pk for f in found if f.recording] == [early.pk, late.pk]


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"document": None}, "document", "document_required"),
        ({"document": b"GIF89a not allowed"}, "document", "document_type"),
        ({"call_date": None}, "call_date", "call_date_required"),
        ({"call_date": "03.12.2026x"}, "call_date", "call_date_invalid"),
        ({"call_date": dt.date(2026, 12, 5)}, "call_date", "call_date_future"),
        ({"phone": "12345"}, "phone", "phone_not_kz"),
        ({"phone": "+1 202 555 0100"}, "phone", "phone_not_kz"),
        ({"phone": ""}, "phone", "phone_format"),
    ],
)
def test_bad_input_names_the_field_and_stores_nothing(
    officer: Any, overrides: dict[str, Any], field: str, code: str
) -> None:
    with pytest.raises(ValidationFailed) as raised:
        _file(officer, **overrides)
    assert [(e.field, e.code) for e in raised.value.errors] == [(field, code)]
    _nothing_stored()


def test_all_errors_at_once_in_the_readers_language(officer: Any, settings: Any) -> None:
    settings.RECORDINGS_REQUEST_DOCUMENT_MAX_BYTES = 50
    with pytest.raises(ValidationFailed) as raised:
        _file(officer, document=synthetic_pdf(), call_date="", phone="abc")
    fields = [e.field for e in raised.value.errors]
    assert fields == ["document", "call_date", "phone"]
    with translation.override("kk"):
        texts = [str(e.message) for e in raised.value.errors]
    assert texts[1] == "Қоңыраудың күнін көрсетіңіз."
    _nothing_stored()


def test_png_and_jpeg_documents_are_accepted(officer: Any) -> None:
    assert _file(officer, document=PNG).document_type == "image/png"
    assert _file(officer, document=JPEG).document_type == "image/jpeg"


def test_only_an_authorized_body_files_a_request(
    operator: Any, supervisor: Any, ucc_admin: Any, partner: Any, citizen: Any
) -> None:
    for actor in (operator, supervisor, ucc_admin, partner, citizen, None):
        with pytest.raises(PermissionDenied):
            _file(actor)
    _nothing_stored()


def _deliverable(
    officer: Any, recorded: Callable[..., Recording]
) -> tuple[RecordingRequest, list[Recording]]:
    recordings = [
        recorded("a", caller="+77012345678", at=dt.datetime(2026, 12, 3, 5, tzinfo=dt.UTC)),
        recorded("b", caller="+77012345678", at=dt.datetime(2026, 12, 3, 6, tzinfo=dt.UTC)),
    ]
    return _file(officer), recordings


def test_the_supervisor_delivers_an_expiring_download_for_the_body_only(
    officer: Any,
    other_officer: Any,
    supervisor: Any,
    recorded: Callable[..., Recording],
    quality_body: Any,
) -> None:
    request, recordings = _deliverable(officer, recorded)
    assert [r.pk for r in request_queue(actor=supervisor)] == [request.pk]
    with time_machine.travel(FILED + dt.timedelta(hours=1), tick=False):
        recording_request_open(actor=supervisor, request_id=request.pk)
        delivered = recording_request_deliver(
            actor=supervisor, request_id=request.pk, recording_ids=[r.pk for r in recordings]
        )
    assert delivered.status == RequestStatus.DELIVERED
    assert delivered.delivery_expires_at == FILED + dt.timedelta(hours=73)
    files = list(delivered.files.order_by("pk"))
    assert [f.sha256 for f in files] == [r.sha256 for r in recordings]
    event = AuditEvent.objects.get(action="recordings.request_deliver")
    assert event.changes["late"] is False
    assert OutboxMessage.objects.filter(
        category="recordings.delivered", recipient="officer@quality.kz"
    ).exists()
    assert request_queue(actor=supervisor) == []

    with time_machine.travel(FILED + dt.timedelta(hours=2), tick=False):
        _request, got = recording_delivery_download(actor=officer, request_id=request.pk)
        assert len(got) == 2
        _request, one = recording_delivery_download(
            actor=officer, request_id=request.pk, file_id=files[0].pk
        )
        assert [f.pk for f in one] == [files[0].pk]
        # The other authorized body, the contact center's staff: no download.
        with pytest.raises(NotFound):
            recording_delivery_download(actor=other_officer, request_id=request.pk)
        with pytest.raises(PermissionDenied):
            recording_delivery_download(actor=supervisor, request_id=request.pk)
    downloads = AuditEvent.objects.filter(action="recordings.downloaded")
    assert [e.changes["file"] for e in downloads.order_by("seq")] == ["zip", files[0].pk]

    # After 72 hours the download is refused, and the sweep closes it.
    with time_machine.travel(FILED + dt.timedelta(hours=73, seconds=1), tick=False):
        with pytest.raises(Conflict):
            recording_delivery_download(actor=officer, request_id=request.pk)
        assert recording_delivery_expire_sweep() == 1
        assert recording_delivery_expire_sweep() == 0
    request.refresh_from_db()
    assert request.status == RequestStatus.EXPIRED
    assert AuditEvent.objects.filter(action="recordings.request_expire").count() == 1
    assert downloads.count() == 2


def test_only_the_chosen_recordings_of_the_calls_found_are_delivered(
    officer: Any, supervisor: Any, recorded: Callable[..., Recording]
) -> None:
    request, recordings = _deliverable(officer, recorded)
    stranger = recorded("x", caller="+77017654321", at=dt.datetime(2026, 12, 3, 6, tzinfo=dt.UTC))
    with pytest.raises(ValidationFailed):
        recording_request_deliver(
            actor=supervisor, request_id=request.pk, recording_ids=[stranger.pk]
        )
    request.refresh_from_db()
    assert request.status == RequestStatus.FILED
    recording_request_deliver(
        actor=supervisor, request_id=request.pk, recording_ids=[recordings[1].pk, stranger.pk]
    )
    assert list(request.files.values_list("recording_id", flat=True)) == [recordings[1].pk]
    with pytest.raises(Conflict):  # delivered already: the transitions table refuses
        recording_request_deliver(
            actor=supervisor, request_id=request.pk, recording_ids=[recordings[0].pk]
        )


def test_nobody_else_handles_or_sees_a_request(
    officer: Any,
    other_officer: Any,
    operator: Any,
    partner: Any,
    citizen: Any,
    recorded: Callable[..., Recording],
) -> None:
    request, recordings = _deliverable(officer, recorded)
    audit_before = AuditEvent.objects.count()
    for actor in (operator, partner, citizen, officer, other_officer):
        with pytest.raises(PermissionDenied):
            recording_request_deliver(
                actor=actor, request_id=request.pk, recording_ids=[recordings[0].pk]
            )
        with pytest.raises(PermissionDenied):
            recording_request_answer_none(actor=actor, request_id=request.pk)
    for actor in (operator, partner, citizen, other_officer):
        with pytest.raises(NotFound):
            recording_request_open(actor=actor, request_id=request.pk)
        assert request_list_for_body(actor=actor) == []
        assert request_queue(actor=actor) == []
    request.refresh_from_db()
    assert request.status == RequestStatus.FILED
    assert AuditEvent.objects.count() == audit_before
    assert request_list_for_body(actor=officer) == [request]


def test_no_recordings_found_is_an_answer(
    officer: Any, supervisor: Any, recorded: Callable[..., Recording]
) -> None:
    request = _file(officer)
    assert request_found_calls(request=request) == []
    answered = recording_request_answer_none(actor=supervisor, request_id=request.pk)
    assert answered.status == RequestStatus.NONE_FOUND
    assert OutboxMessage.objects.filter(category="recordings.none_found").count() == 1
    # Where recordings exist the answer "none found" is refused.
    recorded("a", caller="+77012345678", at=dt.datetime(2026, 12, 3, 5, tzinfo=dt.UTC))
    other = _file(officer)
    with pytest.raises(Conflict):
        recording_request_answer_none(actor=supervisor, request_id=other.pk)


def test_a_call_recorded_after_filing_is_found_when_the_request_is_opened(
    officer: Any, supervisor: Any, recorded: Callable[..., Recording]
) -> None:
    request = _file(officer)
    recorded("later", caller="+77012345678", at=dt.datetime(2026, 12, 3, 5, tzinfo=dt.UTC))
    recording_request_open(actor=supervisor, request_id=request.pk)
    assert [f.call.call_id for f in request_found_calls(request=request)] == ["later"]
    viewed = AuditEvent.objects.get(action="recordings.request_viewed")
    assert viewed.changes == {"calls_found": 1}


def test_the_late_sweep_flags_once_and_tells_the_admins(
    officer: Any, supervisor: Any, ucc_admin: Any, recorded: Callable[..., Recording]
) -> None:
    request, recordings = _deliverable(officer, recorded)
    with time_machine.travel(FILED + dt.timedelta(hours=3, minutes=59), tick=False):
        assert recording_request_sweep_late() == 0
    with time_machine.travel(FILED + dt.timedelta(hours=4, minutes=1), tick=False):
        assert recording_request_sweep_late() == 1
        assert recording_request_sweep_late() == 0
    request.refresh_from_db()
    assert request.status == RequestStatus.LATE
    assert request.late_at == FILED + dt.timedelta(hours=4, minutes=1)
    notices = OutboxMessage.objects.filter(category="recordings.late")
    assert [n.recipient for n in notices] == ["admin@1414.kz"]
    assert notices[0].language == "kk"
    assert "14" in notices[0].body
    assert AuditEvent.objects.filter(action="recordings.request_flag_late").count() == 1
    # A late request can still be delivered; the delivery records that it was late.
    with time_machine.travel(FILED + dt.timedelta(hours=5), tick=False):
        recording_request_deliver(
            actor=supervisor, request_id=request.pk, recording_ids=[recordings[0].pk]
        )
    assert AuditEvent.objects.get(action="recordings.request_deliver").changes["late"] is True


def test_the_transitions_table() -> None:
    assert transition_target("deliver", RequestStatus.FILED) == RequestStatus.DELIVERED
    assert transition_target("deliver", RequestStatus.LATE) == RequestStatus.DELIVERED
    assert transition_target("deliver", RequestStatus.DELIVERED) is None
    assert transition_target("flag_late", RequestStatus.LATE) is None
    assert transition_target("expire", RequestStatus.FILED) is None
    assert transition_target("unknown", RequestStatus.FILED) is None
    assert set(TRANSITIONS) == {"flag_late", "deliver", "answer_none", "expire"}
