from __future__ import annotations

import json
import logging

import pytest
from django.test import Client

from qoldau.accounts.enums import Role
from qoldau.accounts.services import user_create

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_and_queue(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "queue": "ok"}
    assert response["X-Request-ID"]


def test_healthz_fails_when_the_queue_is_down(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from huey.contrib.djhuey import HUEY

    def broken() -> int:
        raise OSError("queue storage unreachable")

    monkeypatch.setattr(HUEY, "pending_count", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["queue"] == "fail"


def test_metrics_are_served_to_loopback_and_count_requests(client: Client) -> None:
    client.get("/healthz")
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'qoldau_http_requests_total{method="GET",route="healthz",status="200"}' in body
    assert "qoldau_queue_pending_tasks" in body


def test_metrics_are_refused_to_strangers_but_not_to_staff(client: Client) -> None:
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 403
    user_create(
        username="ops",
        password="Ops-password-2026",
        organisation_id=None,
        roles=[Role.UCC_ADMIN],
        is_staff=True,
    )
    client.login(username="ops", password="Ops-password-2026")
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 200


def test_request_id_is_kept_when_sane_and_replaced_when_not(client: Client) -> None:
    assert client.get("/healthz", HTTP_X_REQUEST_ID="abc-123")["X-Request-ID"] == "abc-123"
    replaced = client.get("/healthz", HTTP_X_REQUEST_ID="bad id\n<script>")["X-Request-ID"]
    assert replaced != "bad id\n<script>"
    assert len(replaced) == 32


def test_json_log_lines_carry_request_id_and_mask_personal_data(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)
    logging.getLogger("qoldau.test").warning("caller %s", "+7 701 555 12 34")
    line = capsys.readouterr().err.strip().splitlines()[-1]
    record = json.loads(line)
    assert record["level"] == "WARNING"
    assert "555 12 34" not in record["message"]
    assert record["request_id"] == "-"


def test_the_request_and_runserver_lines_are_masked_too(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Django logs a refused request with the request itself (its path and query string), and
    runserver logs each request line: a search by IIN or phone must not reach the log."""
    from logging.config import dictConfig

    from django.conf import settings
    from django.test import RequestFactory

    dictConfig(settings.LOGGING)
    request = RequestFactory().get("/kk/appeals/?q=870412300415&phone=%2B77011234567")
    logging.getLogger("django.request").warning(
        "Forbidden (Permission denied): %s",
        request.path,
        extra={"status_code": 403, "request": request},
    )
    logging.getLogger("django.server").info(
        '"%s" %s %s', "GET /kk/appeals/?q=870412300415 HTTP/1.1", "403", "12",
        extra={"request": request, "server_time": "06/Dec/2026 16:36:21"},
    )  # fmt: skip
    lines = capsys.readouterr().err.strip().splitlines()[-2:]
    records = [json.loads(line) for line in lines]
    assert "870412300415" not in "".join(lines)
    assert "7011234567" not in "".join(lines)
    assert "87******0415" in records[0]["request"]
    assert records[0]["status_code"] == 403  # numbers stay numbers
    assert "87******0415" in records[1]["message"]


def test_a_request_id_that_looks_like_an_iin_stays_whole(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from logging.config import dictConfig

    from django.conf import settings

    from qoldau.core.logging import request_id_var

    dictConfig(settings.LOGGING)
    token = request_id_var.set("abc870412300415def0123456789abcd")
    try:
        logging.getLogger("qoldau.test").warning("lookup")
    finally:
        request_id_var.reset(token)
    record = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert record["request_id"] == "abc870412300415def0123456789abcd"
