"""The intake API: Idempotency-Key like Stripe, field errors in the request's language, scope."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from django.db import connection, connections
from django.test import Client

from qoldau.appeals.models import Appeal, IdempotencyKey
from qoldau.appeals.tests.conftest import appeal_data

pytestmark = pytest.mark.django_db
URL = "/api/v1/appeals/"


def post(client: Client, key: str, body: dict[str, Any], **headers: str) -> Any:
    return client.post(
        URL,
        data=json.dumps(body),
        content_type="application/json",
        headers={"X-API-Key": key, **headers},
    )


def test_register_and_read_back(org_a: Any) -> None:
    client = Client()
    body = appeal_data(channel="api", service=org_a.service.register_number)
    response = post(client, org_a.key, body)
    assert response.status_code == 201, response.content
    number = response.json()["number"]
    assert response.json()["due_citation"].startswith("Rules p.8")
    read = client.get(f"{URL}{number}", headers={"X-API-Key": org_a.key})
    assert read.status_code == 200
    assert [e["code"] for e in read.json()["events"]] == ["registered"]


def test_partner_cannot_read_another_organisations_appeal(org_a: Any, org_b: Any) -> None:
    client = Client()
    created = post(client, org_a.key, appeal_data(service=org_a.service.register_number))
    number = created.json()["number"]
    denied = client.get(f"{URL}{number}", headers={"X-API-Key": org_b.key})
    assert denied.status_code == 404
    assert denied.json()["code"] == "appeal_not_found"


def test_idempotent_replay_returns_the_first_response(org_a: Any) -> None:
    client = Client()
    body = appeal_data()
    first = post(client, org_a.key, body, **{"Idempotency-Key": "k-1"})
    again = post(client, org_a.key, body, **{"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert Appeal.objects.count() == 1


def test_same_key_with_another_body_is_refused_naming_the_key(org_a: Any) -> None:
    client = Client()
    post(client, org_a.key, appeal_data(), **{"Idempotency-Key": "k-2"})
    other = post(
        client, org_a.key, appeal_data(content="Другой вопрос"), **{"Idempotency-Key": "k-2"}
    )
    assert other.status_code == 409
    assert other.json()["field"] == "Idempotency-Key"
    assert "k-2" in other.json()["message"]
    assert Appeal.objects.count() == 1


def test_keys_are_per_client(org_a: Any, org_b: Any) -> None:
    client = Client()
    post(client, org_a.key, appeal_data(), **{"Idempotency-Key": "shared"})
    post(client, org_b.key, appeal_data(), **{"Idempotency-Key": "shared"})
    assert Appeal.objects.count() == 2


@pytest.mark.parametrize(
    ("field", "value", "language", "message"),
    [
        ("iin_bin", "900101399990", "ru", "В этом ИИН неверная контрольная цифра."),
        ("email", "nope", "kk", None),
        ("service", "no-such", "en", "There is no such public service."),
        ("region", "KZ-00", "en", "No region has this code."),
        ("content", "", "en", "Describe the question or request."),
    ],
)
def test_bad_input_is_a_422_naming_the_field_and_stores_nothing(
    org_a: Any, field: str, value: str, language: str, message: str | None
) -> None:
    response = post(
        Client(),
        org_a.key,
        appeal_data(**{field: value}),
        **{"Idempotency-Key": f"bad-{field}", "Accept-Language": language},
    )
    assert response.status_code == 422
    assert response.json()["field"] == field
    if message:
        assert response.json()["message"] == message
    assert Appeal.objects.count() == 0
    assert IdempotencyKey.objects.count() == 0


def test_partner_user_session_may_not_register(org_a: Any) -> None:
    client = Client()
    client.force_login(org_a.user)
    response = client.post(URL, data=json.dumps(appeal_data()), content_type="application/json")
    assert response.status_code == 403
    assert Appeal.objects.count() == 0


def test_unauthenticated_is_refused() -> None:
    response = Client().post(URL, data="{}", content_type="application/json")
    assert response.status_code == 401


@pytest.mark.django_db(transaction=True)
def test_concurrent_identical_requests_make_one_appeal(reference_data: None, org_a: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("threads need a server database; SQLite serialises writers anyway")
    statuses: list[int] = []
    bodies: list[str] = []

    def worker() -> None:
        try:
            response = post(Client(), org_a.key, appeal_data(), **{"Idempotency-Key": "race"})
            statuses.append(response.status_code)
            bodies.append(response.json()["number"])
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [201] * 6
    assert len(set(bodies)) == 1
    assert Appeal.objects.count() == 1


def test_purge_keeps_keys_for_a_day(org_a: Any) -> None:
    import datetime as dt

    from qoldau.appeals.services import idempotency_key_purge
    from qoldau.core import clock

    post(Client(), org_a.key, appeal_data(), **{"Idempotency-Key": "old"})
    assert idempotency_key_purge(now=clock.now() + dt.timedelta(hours=23)) == 0
    assert idempotency_key_purge(now=clock.now() + dt.timedelta(days=3)) == 1


def test_received_at_is_kept_and_sets_the_deadline(org_a: Any) -> None:
    response = post(
        Client(),
        org_a.key,
        appeal_data(received_at="2025-03-20T09:00:00+05:00", channel="messenger"),
    )
    assert response.status_code == 201, response.content
    assert response.json()["due_at"].startswith("2025-03-27T")
    future = post(Client(), org_a.key, appeal_data(received_at="2099-01-01T00:00:00+05:00"))
    assert future.status_code == 422
    assert future.json()["field"] == "received_at"


def test_openapi_documents_the_intake(operator: Any) -> None:
    client = Client()
    client.force_login(operator)
    schema = client.get("/api/v1/openapi.json").json()
    post_op = schema["paths"]["/api/v1/appeals/"]["post"]
    assert "Idempotency-Key" in post_op["description"]
    assert "/api/v1/appeals/{number}" in schema["paths"]
