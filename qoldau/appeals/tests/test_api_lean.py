"""The lean intake path (ADR 0009, ADR 0011): a WSGI wrapper in front of Django's handler gives
the same answers as the full stack, which still serves everything the lean path does not
(sessions, CSRF, bodies only pydantic can judge, hosts and schemes Django refuses)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import OperationalError, close_old_connections
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client, RequestFactory
from prometheus_client import REGISTRY

from qoldau.appeals import api_lean
from qoldau.appeals.api import AppealIn
from qoldau.appeals.api_lean import LeanIntakeApp, decode_intake
from qoldau.appeals.models import Appeal, IdempotencyKey
from qoldau.appeals.tests.conftest import appeal_data
from qoldau.audit.models import AuditEvent

URL = "/api/v1/appeals/"


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def wsgi_post(
    app: Any, body: Any, *, content_type: str = "application/json", **headers: str
) -> Answer:
    """POST through a WSGI application, as granian or gunicorn would call it."""
    raw = body if isinstance(body, (str, bytes)) else json.dumps(body)
    request = RequestFactory().post(URL, data=raw, content_type=content_type, headers=headers)
    seen: dict[str, Any] = {}

    def start_response(status: str, response_headers: list[tuple[str, str]]) -> None:
        seen["status"] = int(status.split(" ", 1)[0])
        seen["headers"] = dict(response_headers)

    # As Django's test client does: the request signals must not close the test's connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        content = b"".join(app(request.environ, start_response))
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return Answer(seen["status"], seen["headers"], content)


@pytest.fixture
def lean() -> LeanIntakeApp:
    return LeanIntakeApp(WSGIHandler())


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Which path answered each request: "lean" or "full"."""
    paths: list[str] = []
    original = LeanIntakeApp._headers

    def spy(*args: Any) -> Any:  # every answer of the lean path but a 500 has its headers here
        paths.append("lean")
        return original(*args)

    monkeypatch.setattr(LeanIntakeApp, "_headers", spy)
    return paths


@pytest.mark.parametrize(
    "body",
    [
        {"content": "Вопрос"},
        appeal_data(),
        {"content": "x", "received_at": "2025-03-20T09:00:00+05:00", "extra": [1, 2]},
        {"content": "x", "received_at": "2025-03-20T04:00:00.123456Z"},
        {"content": "x", "received_at": None, "language": "en"},
    ],
)
def test_decoded_body_is_what_the_schema_gives(body: dict[str, Any]) -> None:
    # The same dict means the same fingerprint: a retry matches whichever path served it.
    raw = json.dumps(body).encode()
    assert decode_intake(raw) == AppealIn.model_validate_json(raw).dict()


@pytest.mark.parametrize(
    "raw",
    [
        b"{bad",
        b"[1]",
        b'{"content": 5}',
        b'{"content": null}',
        b'{"content": "x", "received_at": "2025-03-20"}',
        b'{"content": "x", "received_at": 1700000000}',
        b'{"content": "x", "received_at": "2025-13-40T09:00:00+05:00"}',
        '{"content": "ы"}'.encode("utf-16"),
    ],
)
def test_bodies_only_pydantic_can_judge_are_left_to_it(raw: bytes) -> None:
    assert decode_intake(raw) is None


@pytest.mark.django_db
def test_the_lean_answer_is_the_full_stacks(
    org_a: Any, lean: LeanIntakeApp, served: list[str]
) -> None:
    headers = {"X-API-Key": org_a.key, "Accept-Language": "kk"}
    full = wsgi_post(WSGIHandler(), appeal_data(), **headers, **{"Idempotency-Key": "full"})
    fast = wsgi_post(lean, appeal_data(), **headers, **{"Idempotency-Key": "lean"})
    assert served == ["lean"]  # the plain handler never takes the lean path
    assert (fast.status, full.status) == (201, 201)
    moving = {"number", "received_at", "registered_at", "due_at"}
    assert {k: v for k, v in fast.json().items() if k not in moving} == {
        k: v for k, v in full.json().items() if k not in moving
    }
    assert fast.json()["status_label"] == "Тіркелді"
    # The same headers as the middleware give (values of the request id and length aside).
    assert set(fast.headers) == set(full.headers)
    for name in ("Content-Type", "Content-Language", "Vary", "X-Frame-Options"):
        assert fast.headers[name] == full.headers[name], name
    assert fast.headers["X-Content-Type-Options"] == "nosniff"
    assert fast.headers["Referrer-Policy"] == "same-origin"
    assert int(fast.headers["Content-Length"]) == len(fast.body)


@pytest.mark.django_db
def test_a_retry_replays_and_another_body_is_refused(
    org_a: Any, lean: LeanIntakeApp, served: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    headers = {"X-API-Key": org_a.key, "Idempotency-Key": "again", "Accept-Language": "ru"}
    first = wsgi_post(lean, appeal_data(), **headers)
    retry = wsgi_post(lean, appeal_data(), **headers)
    assert (first.status, retry.status) == (201, 201)
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert retry.json() == first.json()
    with caplog.at_level(logging.WARNING, logger="django.request"):
        other = wsgi_post(lean, appeal_data(content="Другой вопрос"), **headers)
    assert other.status == 409
    assert other.json()["field"] == "Idempotency-Key"
    assert other.headers["Content-Type"] == "application/json; charset=utf-8"
    assert [r.getMessage() for r in caplog.records] == ["Conflict: /api/v1/appeals/"]
    assert served == ["lean"] * 3
    assert Appeal.objects.count() == 1


@pytest.mark.django_db
def test_a_field_error_names_the_field_in_the_requests_language_and_stores_nothing(
    org_a: Any, lean: LeanIntakeApp, served: list[str]
) -> None:
    answer = wsgi_post(
        lean,
        appeal_data(iin_bin="900101399999"),
        **{"X-API-Key": org_a.key, "Idempotency-Key": "bad-iin", "Accept-Language": "kk"},
    )
    assert answer.status == 422
    assert answer.json()["field"] == "iin_bin"
    assert answer.headers["Content-Language"] == "kk"
    assert answer.json()["message"] != ""
    assert served == ["lean"]
    assert Appeal.objects.count() == IdempotencyKey.objects.count() == 0


@pytest.mark.django_db
def test_the_request_id_is_kept_answered_and_audited(org_a: Any, lean: LeanIntakeApp) -> None:
    before = REGISTRY.get_sample_value(
        "qoldau_http_requests_total",
        {"method": "POST", "route": "api/v1/appeals/", "status": "201"},
    )
    answer = wsgi_post(
        lean,
        appeal_data(),
        **{"X-API-Key": org_a.key, "Idempotency-Key": "rid", "X-Request-ID": "proxy-42"},
    )
    assert answer.status == 201
    assert answer.headers["X-Request-ID"] == "proxy-42"
    audit = AuditEvent.objects.get(action="appeals.register")
    assert audit.request_id == "proxy-42"
    after = REGISTRY.get_sample_value(
        "qoldau_http_requests_total",
        {"method": "POST", "route": "api/v1/appeals/", "status": "201"},
    )
    assert (after or 0) == (before or 0) + 1  # counted under its route, not "unmatched"
    insane = wsgi_post(lean, appeal_data(), **{"X-API-Key": org_a.key, "X-Request-ID": "<script>"})
    assert insane.headers["X-Request-ID"] != "<script>"


@pytest.mark.django_db
def test_a_body_of_the_wrong_type_gets_the_schemas_field_error(
    org_a: Any, lean: LeanIntakeApp, served: list[str]
) -> None:
    answer = wsgi_post(lean, {"content": 5}, **{"X-API-Key": org_a.key, "Idempotency-Key": "t"})
    assert answer.status == 422
    assert answer.json()["field"] == "content"
    assert answer.json()["errors"][0]["code"] == "string_type"
    assert served == []
    assert Appeal.objects.count() == IdempotencyKey.objects.count() == 0


@pytest.mark.django_db
def test_a_wrong_key_is_refused_by_the_full_stack(lean: LeanIntakeApp, served: list[str]) -> None:
    # Over real WSGI the session authentication's CSRF check used to answer 403 first.
    answer = wsgi_post(lean, appeal_data(), **{"X-API-Key": "qk_nope_nope"})
    assert answer.status == 401
    assert answer.json()["code"] == "unauthenticated"
    assert served == []
    assert Appeal.objects.count() == 0


@pytest.mark.django_db
def test_a_bearer_key_is_accepted(org_a: Any, lean: LeanIntakeApp, served: list[str]) -> None:
    answer = wsgi_post(lean, appeal_data(), Authorization=f"Bearer {org_a.key}")
    assert answer.status == 201, answer.body
    assert served == ["lean"]


@pytest.mark.django_db
def test_a_host_django_refuses_is_refused(
    org_a: Any, lean: LeanIntakeApp, served: list[str]
) -> None:
    answer = wsgi_post(lean, appeal_data(), **{"X-API-Key": org_a.key, "Host": "evil.example"})
    assert answer.status == 400
    assert served == []
    assert Appeal.objects.count() == 0


@pytest.mark.django_db
def test_plain_http_is_redirected_when_https_is_required(
    org_a: Any, served: list[str], settings: Any
) -> None:
    settings.SECURE_SSL_REDIRECT = True
    lean = LeanIntakeApp(WSGIHandler())  # the middleware reads the setting when it is made
    answer = wsgi_post(lean, appeal_data(), **{"X-API-Key": org_a.key})
    assert answer.status == 301
    assert answer.headers["Location"].startswith("https://")
    assert served == []
    assert Appeal.objects.count() == 0


@pytest.mark.django_db
def test_an_unexpected_error_is_a_logged_500_and_loses_nothing_else(
    org_a: Any,
    lean: LeanIntakeApp,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(**_kwargs: Any) -> Any:
        raise RuntimeError("broken")

    monkeypatch.setattr(api_lean, "intake_prepare", broken)
    with caplog.at_level(logging.ERROR, logger="django.request"):
        answer = wsgi_post(lean, appeal_data(), **{"X-API-Key": org_a.key, "Idempotency-Key": "x"})
    assert answer.status == 500
    assert answer.headers["X-Request-ID"]
    assert len([r for r in caplog.records if r.name == "django.request"]) == 1
    assert Appeal.objects.count() == 0


@pytest.mark.django_db
def test_staff_session_still_registers_and_still_needs_the_csrf_token(operator: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(operator)
    data = json.dumps(appeal_data())
    refused = client.post(
        URL, data=data, content_type="application/json", headers={"Idempotency-Key": "s-1"}
    )
    assert refused.status_code == 403
    assert Appeal.objects.count() == 0
    token = _get_new_csrf_string()  # what a page would have set as the CSRF cookie
    client.cookies["csrftoken"] = token
    accepted = client.post(
        URL,
        data=data,
        content_type="application/json",
        headers={"Idempotency-Key": "s-1", "X-CSRFToken": token},
    )
    assert accepted.status_code == 201, accepted.content
    assert Appeal.objects.count() == 1


@pytest.mark.django_db
def test_a_session_cookie_sends_the_request_the_full_way(
    org_a: Any, lean: LeanIntakeApp, served: list[str]
) -> None:
    # A session cookie sends the request down the full stack, which authenticates the key first.
    client = Client()
    client.force_login(org_a.user)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    answer = wsgi_post(lean, appeal_data(), **{"X-API-Key": org_a.key, "Cookie": cookie})
    assert answer.status == 201, answer.body
    assert served == []


@pytest.mark.django_db
def test_a_committer_that_does_not_answer_in_time_is_a_503_asking_to_send_again(
    org_a: Any, lean: LeanIntakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    def slow(*_args: Any) -> Any:
        raise TimeoutError

    monkeypatch.setattr(api_lean, "intake_run", slow)
    answer = wsgi_post(
        lean,
        appeal_data(),
        **{"X-API-Key": org_a.key, "Idempotency-Key": "slow", "Accept-Language": "kk"},
    )
    assert answer.status == 503
    assert answer.headers["Retry-After"] == "1"
    assert answer.headers["Content-Language"] == "kk"
    assert answer.json()["code"] == "intake_busy"
    assert "Idempotency-Key" in answer.json()["message"]
    assert answer.json()["message"].startswith("Өтініш")  # Kazakh, as the request asked
    assert Appeal.objects.count() == 0


@pytest.mark.django_db
def test_a_failure_before_the_intake_is_read_is_a_logged_500(
    org_a: Any,
    lean: LeanIntakeApp,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def gone(_raw: str) -> Any:
        raise OperationalError("the database is gone")

    monkeypatch.setattr(api_lean, "api_key_authenticate", gone)
    with caplog.at_level(logging.ERROR, logger="django.request"):
        answer = wsgi_post(lean, appeal_data(), **{"X-API-Key": org_a.key, "Idempotency-Key": "g"})
    assert answer.status == 500
    assert answer.headers["X-Request-ID"]
    assert len([r for r in caplog.records if r.name == "django.request"]) == 1
    assert Appeal.objects.count() == 0
