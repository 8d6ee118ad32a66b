"""Referrals from the knowledge base's directory (R11), complaints forwarded (R14), the monitoring
system's HTTP adapter against a real local server (R15), and every event code rendered."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from django.test import Client
from django.utils import translation

from qoldau.appeals.adapters.monitoring_http import HttpMonitoring
from qoldau.appeals.models import AppealEvent, Handoff, Notification
from qoldau.appeals.ports import MonitoringUnavailable
from qoldau.appeals.presentation import event_text
from qoldau.appeals.services import appeal_forward_complaint, appeal_register
from qoldau.appeals.tests.conftest import appeal_data
from qoldau.core.errors import Conflict
from qoldau.core.models import OutboxMessage
from qoldau.knowledge.models import Article, ArticleTranslation

pytestmark = pytest.mark.django_db


def _competent_body() -> Article:
    article = Article.objects.create(external_id="body-justice", kind="competent_body")
    for language, title, body in [
        ("kk", "Әділет министрлігі", "Астана, 8 7172 58 00 58"),
        ("ru", "Министерство юстиции", "Астана, 8 7172 58 00 58"),
    ]:
        ArticleTranslation.objects.create(
            article=article,
            language=language,
            status="published",
            title=title,
            published_title=title,
            body=body,
            published_body=body,
        )
    return article


def test_referral_chooses_the_body_from_the_knowledge_base(operator: Any) -> None:
    article = _competent_body()
    appeal = appeal_register(actor=operator, data=appeal_data(language="kk", category="referral"))
    client = Client()
    client.force_login(operator)
    page = client.get(f"/kk/appeals/{appeal.pk}/")
    assert "Әділет министрлігі" in page.content.decode()
    client.post(f"/kk/appeals/{appeal.pk}/refer/", {"article": str(article.pk)})
    handoff = Handoff.objects.get(appeal=appeal)
    assert handoff.article_id == article.pk
    assert handoff.body_name == "Әділет министрлігі"
    note = Notification.objects.get(appeal=appeal, code="referral")
    assert note.language == "kk"
    assert "58 00 58" in OutboxMessage.objects.get(idempotency_key=note.outbox_key).body


def test_a_complaint_is_forwarded_to_the_competent_body(operator: Any, org_a: Any) -> None:
    appeal = appeal_register(
        actor=operator,
        data=appeal_data(
            category="complaint",
            complaint_type="officials",
            complaint_body=org_a.organisation.bin,
            official_name="Иванов Иван Иванович",
            motives="Отказал в приёме документов",
            demands="Принять документы",
        ),
    )
    appeal_forward_complaint(
        actor=operator, appeal_id=appeal.pk, organisation_id=org_a.organisation.pk
    )
    assert Handoff.objects.get(appeal=appeal).organisation == org_a.organisation
    recipients = set(OutboxMessage.objects.values_list("recipient", flat=True))
    assert {"office@alpha.kz", "asel@example.kz"} <= recipients
    consultation = appeal_register(actor=operator, data=appeal_data())
    with pytest.raises(Conflict):
        appeal_forward_complaint(
            actor=operator, appeal_id=consultation.pk, organisation_id=org_a.organisation.pk
        )


@pytest.mark.parametrize(
    "code",
    [
        "registered",
        "taken",
        "answered",
        "closed",
        "transferred",
        "referred",
        "forwarded",
        "reopened",
        "linked",
        "merged",
        "duplicate_joined",
        "overdue",
        "email_reply",
        "status_inquiry",
        "malformed_mail",
        "no_deadline_rule",
    ],
)
def test_every_event_code_reads_as_a_sentence_in_each_language(code: str) -> None:
    event = AppealEvent(
        code=code,
        params={
            "channel": "email",
            "due": "2026-01-06T23:59:59+05:00",
            "to": "group-1",
            "body": "X",
            "reason": "R",
            "number": "1414-2026-000001",
        },
    )
    for language in ("kk", "ru", "en"):
        with translation.override(language):
            text = event_text(event)
        assert text != code
        assert "%(" not in text


class _Monitoring(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        query = parse_qs(urlparse(self.path).query)
        if self.headers.get("Authorization") != "Bearer secret":
            self.send_response(401)
            self.end_headers()
            return
        if query.get("number") == ["A-1"]:
            payload = {
                "applications": [
                    {
                        "application_number": "A-1",
                        "service_register_number": "00101",
                        "service_name": "Справка",
                        "stage": "ready",
                        "stage_label": "Готово",
                        "updated_at": "2026-01-15T10:00:00+05:00",
                        "provider": "ЦОН",
                    }
                ]
            }
            body = json.dumps(payload).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def monitoring_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Monitoring)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_http_monitoring_adapter_follows_its_contract(monitoring_url: str) -> None:
    adapter = HttpMonitoring(base_url=monitoring_url, token="secret")
    [found] = adapter.applications(application_number="A-1")
    assert found.stage == "ready"
    assert found.updated_at is not None
    assert adapter.applications(application_number="nope") == []
    with pytest.raises(MonitoringUnavailable):
        HttpMonitoring(base_url=monitoring_url, token="wrong").applications(iin="1")
    with pytest.raises(MonitoringUnavailable):
        HttpMonitoring(base_url="", token="").applications(iin="1")
