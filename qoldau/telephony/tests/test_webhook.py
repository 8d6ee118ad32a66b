"""The signed CTI webhook over real HTTP requests through Django's test client."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.test import Client, override_settings

from qoldau.routing.tests.factories import make_queue
from qoldau.telephony.adapters.webhook import sign
from qoldau.telephony.models import CallRecord, StoredCallEvent

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("signed")]
URL = "/api/v1/telephony/events"
SECRET = "s3cret-for-tests"


@pytest.fixture
def signed() -> Any:
    make_queue("all", steps=[{"skill_mode": "any", "members_only": False}])
    with override_settings(TELEPHONY_WEBHOOK_SECRETS=["old-secret", SECRET]):
        yield


def post(body: bytes, *, secret: str = SECRET, timestamp: int | None = None) -> Any:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = "sha256=" + sign(secret, stamp, body)
    headers = {"X-Qoldau-Timestamp": stamp, "X-Qoldau-Signature": signature}
    return Client().post(URL, data=body, content_type="application/json", headers=headers)


def event(seq: int = 1, **fields: Any) -> dict[str, Any]:
    return {
        "call_id": "pbx-1",
        "seq": seq,
        "type": "arrived",
        "at": "2026-12-04T10:00:00+05:00",
        "line": "1414",
        "caller": "+7 701 234 5678",
        "language": "ru",
        **fields,
    }


def body(*events: dict[str, Any]) -> bytes:
    return json.dumps({"events": list(events)}).encode()


def test_a_signed_request_is_stored() -> None:
    response = post(body(event(1), event(2, type="queued", queue="all")))
    assert response.status_code == 200, response.content
    assert [r["status"] for r in response.json()["results"]] == ["stored", "stored"]
    call = CallRecord.objects.get(call_id="pbx-1")
    assert call.caller == "+77012345678"
    assert call.state == "queued"


def test_a_retry_signed_anew_is_a_duplicate_and_a_replay_is_refused() -> None:
    raw = body(event(1))
    stamp = int(time.time())
    assert post(raw, timestamp=stamp).status_code == 200
    replay = post(raw, timestamp=stamp)
    assert replay.status_code == 409
    assert replay.json()["code"] == "webhook_replayed"
    retry = post(raw, timestamp=stamp + 1)
    assert retry.status_code == 200
    assert retry.json()["results"][0]["status"] == "duplicate"
    assert StoredCallEvent.objects.count() == 1


def test_the_previous_secret_still_works_during_rotation() -> None:
    assert post(body(event(1)), secret="old-secret").status_code == 200


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"secret": "wrong"}, "webhook_bad_signature"),
        ({"timestamp": int(time.time()) - 3600}, "webhook_stale"),
        ({"timestamp": int(time.time()) + 3600}, "webhook_stale"),
    ],
)
def test_bad_signatures_and_stale_requests_are_refused(kwargs: dict[str, Any], code: str) -> None:
    response = post(body(event(1)), **kwargs)
    assert response.status_code == 401
    assert response.json()["code"] == code
    assert not StoredCallEvent.objects.exists()


def test_an_unsigned_request_is_refused_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    response = Client().post(URL, data=body(event(1)), content_type="application/json")
    assert response.status_code == 401
    assert response.json()["code"] == "webhook_unsigned"
    assert "refused: unsigned" in caplog.text
    assert "7012345678" not in caplog.text  # no personal data in the log


def test_without_a_configured_secret_everything_is_refused() -> None:
    with override_settings(TELEPHONY_WEBHOOK_SECRETS=[]):
        response = post(body(event(1)))
    assert response.status_code == 401
    assert response.json()["code"] == "webhook_not_configured"


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"type": "exploded"}, "events[1].type"),
        ({"seq": "two"}, "events[1].seq"),
        ({"at": "2026-12-04 10:00"}, "events[1].at"),
        ({"type": "rating", "rating": 7}, "events[1].rating"),
        ({"type": "rating", "rating": "5"}, "events[1].rating"),
        ({"call_id": ""}, "events[1].call_id"),
        ({"language": "de"}, "events[1].language"),
    ],
)
def test_a_bad_event_names_its_field_and_nothing_of_the_request_is_stored(
    bad: dict[str, Any], field: str
) -> None:
    response = post(body(event(1), {**event(2), **bad}))
    assert response.status_code == 422, response.content
    assert response.json()["errors"][0]["field"] == field
    assert not StoredCallEvent.objects.exists()


@pytest.mark.parametrize("raw", [b"", b"not json", b"\xff\xfe", b"[]", b'{"events": []}'])
def test_malformed_bodies_are_refused(raw: bytes) -> None:
    response = post(raw)
    assert response.status_code == 422
    assert not StoredCallEvent.objects.exists()


def test_a_conflicting_event_rolls_back_the_whole_request() -> None:
    assert post(body(event(1))).status_code == 200
    response = post(body(event(2, type="queued"), event(1, type="ended")))
    assert response.status_code == 409
    assert response.json()["field"] == "seq"
    assert StoredCallEvent.objects.count() == 1
