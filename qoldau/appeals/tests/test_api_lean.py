"""The lean intake path (ADR 0009): the same answers as the full stack, which still serves
everything the lean path does not (sessions, CSRF, bodies only pydantic can judge)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from prometheus_client import REGISTRY

from qoldau.appeals.api import AppealIn
from qoldau.appeals.api_lean import decode_intake
from qoldau.appeals.models import Appeal, IdempotencyKey
from qoldau.appeals.tests.conftest import appeal_data

URL = "/api/v1/appeals/"


def post(client: Client, body: Any, **headers: str) -> Any:
    return client.post(
        URL,
        data=body if isinstance(body, str) else json.dumps(body),
        content_type="application/json",
        headers=headers,
    )


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
    ],
)
def test_bodies_only_pydantic_can_judge_are_left_to_it(raw: bytes) -> None:
    assert decode_intake(raw) is None


@pytest.mark.django_db
def test_a_body_of_the_wrong_type_gets_the_schemas_field_error(org_a: Any) -> None:
    response = post(Client(), {"content": 5}, **{"X-API-Key": org_a.key, "Idempotency-Key": "t"})
    assert response.status_code == 422
    assert response.json()["field"] == "content"
    assert response.json()["errors"][0]["code"] == "string_type"
    assert Appeal.objects.count() == 0
    assert IdempotencyKey.objects.count() == 0


@pytest.mark.django_db
def test_answer_carries_the_headers_of_the_full_stack(org_a: Any) -> None:
    before = REGISTRY.get_sample_value(
        "qoldau_http_requests_total",
        {"method": "POST", "route": "api/v1/appeals/", "status": "201"},
    )
    response = post(
        Client(),
        appeal_data(),
        **{"X-API-Key": org_a.key, "Accept-Language": "kk", "Idempotency-Key": "h"},
    )
    assert response.status_code == 201
    assert response.headers["Content-Language"] == "kk"
    assert response.headers["Vary"] == "Accept-Language, Cookie"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Request-ID"]
    assert response.json()["status_label"] == "Тіркелді"
    after = REGISTRY.get_sample_value(
        "qoldau_http_requests_total",
        {"method": "POST", "route": "api/v1/appeals/", "status": "201"},
    )
    assert (after or 0) == (before or 0) + 1  # counted under its route, not "unmatched"


@pytest.mark.django_db
def test_a_wrong_key_is_refused_and_changes_nothing() -> None:
    response = post(Client(), appeal_data(), **{"X-API-Key": "qk_nope_nope"})
    assert response.status_code == 401
    assert Appeal.objects.count() == 0


@pytest.mark.django_db
def test_a_bearer_key_is_accepted(org_a: Any) -> None:
    response = post(Client(), appeal_data(), Authorization=f"Bearer {org_a.key}")
    assert response.status_code == 201, response.content


@pytest.mark.django_db
def test_staff_session_still_registers_and_still_needs_the_csrf_token(operator: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(operator)
    refused = post(client, appeal_data(), **{"Idempotency-Key": "s-1"})
    assert refused.status_code == 403
    assert Appeal.objects.count() == 0
    token = _get_new_csrf_string()  # what a page would have set as the CSRF cookie
    client.cookies["csrftoken"] = token
    accepted = post(client, appeal_data(), **{"Idempotency-Key": "s-1", "X-CSRFToken": token})
    assert accepted.status_code == 201, accepted.content
    assert Appeal.objects.count() == 1


@pytest.mark.django_db
def test_partner_session_with_a_valid_key_goes_the_full_way(org_a: Any) -> None:
    # A session cookie sends the request down the full stack, which authenticates the key first.
    client = Client()
    client.force_login(org_a.user)
    response = post(client, appeal_data(), **{"X-API-Key": org_a.key})
    assert response.status_code == 201, response.content
