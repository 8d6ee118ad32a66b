"""Operator screens and the public pages (R8, R34): registration, search, work, status check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from qoldau.appeals.models import Appeal
from qoldau.appeals.services import appeal_register
from qoldau.appeals.tests.conftest import appeal_data
from qoldau.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    cache.clear()


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_operator_registers_in_a_few_fields(operator: Any) -> None:
    client = _client(operator)
    page = client.get("/ru/appeals/new/")
    assert page.status_code == 200
    assert "Зарегистрировать обращение" in page.content.decode()
    response = client.post(
        "/ru/appeals/new/",
        {
            "content": "Вопрос о пособии",
            "category": "consultation",
            "language": "ru",
            "channel": "phone",
            "line": "1414",
        },
    )
    appeal = Appeal.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/ru/appeals/{appeal.pk}/"
    detail = client.get(response["Location"])
    assert appeal.number in detail.content.decode()


def test_field_errors_are_shown_on_the_form_in_kazakh(operator: Any) -> None:
    response = _client(operator).post(
        "/kk/appeals/new/",
        {
            "content": "Сұрақ",
            "category": "consultation",
            "language": "kk",
            "channel": "phone",
            "iin_bin": "123",
        },
    )
    assert response.status_code == 200
    assert "ЖСН дәл 12 цифрдан тұрады." in response.content.decode()
    assert Appeal.objects.count() == 0


def test_list_masks_personal_data_and_keeps_queries_flat(operator: Any) -> None:
    for _ in range(3):
        appeal_register(actor=operator, data=appeal_data())
    client = _client(operator)
    client.get("/en/appeals/")  # warm the session and caches
    with CaptureQueriesContext(connection) as few:
        client.get("/en/appeals/")
    for _ in range(10):
        appeal_register(actor=operator, data=appeal_data())
    with CaptureQueriesContext(connection) as many:
        response = client.get("/en/appeals/")
    assert len(many) == len(few)
    text = response.content.decode()
    assert "+77011234567" not in text
    assert "900101399998" not in text
    assert "+7701•••67" in text


def test_search_by_phone_and_status(operator: Any) -> None:
    appeal_register(actor=operator, data=appeal_data(phone="+77011234567"))
    appeal_register(actor=operator, data=appeal_data(phone="+77021234567"))
    response = _client(operator).get(
        "/en/appeals/", {"q": "8 702 123 45 67", "status": "registered"}
    )
    assert response.content.decode().count("/en/appeals/") >= 1
    assert len(response.context["rows"]) == 1


def test_opening_personal_data_is_audited(operator: Any) -> None:
    appeal = appeal_register(actor=operator, data=appeal_data())
    response = _client(operator).post(f"/en/appeals/{appeal.pk}/personal-data/")
    assert "900101399998" in response.content.decode()
    assert AuditEvent.objects.filter(
        action="appeals.personal_data_viewed", target_id=str(appeal.pk)
    ).exists()


def test_partner_cannot_open_operator_screens(org_a: Any) -> None:
    assert _client(org_a.user).get("/en/appeals/").status_code == 403


def test_work_an_appeal_through_the_screens(operator: Any) -> None:
    appeal = appeal_register(actor=operator, data=appeal_data())
    client = _client(operator)
    client.post(f"/en/appeals/{appeal.pk}/take/")
    client.post(f"/en/appeals/{appeal.pk}/answer/", {"text": "Answer text"})
    client.post(f"/en/appeals/{appeal.pk}/close/", {"measures_taken": "Consulted"})
    appeal.refresh_from_db()
    assert appeal.status == "closed"
    assert appeal.measures_taken == "Consulted"


def test_template_text_in_the_applicants_language(operator: Any) -> None:
    from qoldau.appeals.models import AnswerTemplate

    appeal = appeal_register(actor=operator, data=appeal_data(language="kk"))
    template = AnswerTemplate.objects.get(code="consultation-given")
    response = _client(operator).get(
        f"/ru/appeals/{appeal.pk}/template/", {"template": template.pk}
    )
    assert template.text_kk in response.content.decode()


def test_status_inquiry_through_the_demo_monitoring_system(operator: Any) -> None:
    appeal = appeal_register(actor=operator, data=appeal_data())
    response = _client(operator).post(
        f"/en/appeals/{appeal.pk}/inquiry/", {"query": "900101399998"}
    )
    assert "KZ-APP-2026-0002" in response.content.decode()
    assert appeal.events.filter(code="status_inquiry").exists()


def test_supervisor_queue(supervisor: Any, operator: Any) -> None:
    appeal_register(actor=operator, data=appeal_data())
    assert _client(supervisor).get("/en/appeals/queue/").status_code == 200
    assert _client(operator).get("/en/appeals/queue/").status_code == 403


# --- public pages ------------------------------------------------------------------------------


def _public(**overrides: Any) -> dict[str, Any]:
    data = {"name": "Асель", "email": "asel@example.kz", "phone": "", "content": "Сұрағым бар"}
    data.update(overrides)
    return data


def test_public_form_registers_and_shows_the_number() -> None:
    response = Client().post("/kk/appeal/new/", _public())
    assert response.status_code == 201
    appeal = Appeal.objects.get()
    assert appeal.channel == "web"
    assert appeal.language == "kk"
    assert appeal.number in response.content.decode()


def test_public_form_honeypot_stores_nothing() -> None:
    response = Client().post("/ru/appeal/new/", _public(website="http://spam.example"))
    assert response.status_code == 200
    assert Appeal.objects.count() == 0


def test_public_form_is_rate_limited(settings: Any) -> None:
    settings.APPEALS_PUBLIC_RATE_LIMIT = 2
    client = Client()
    assert client.post("/en/appeal/new/", _public()).status_code == 201
    assert client.post("/en/appeal/new/", _public()).status_code == 201
    assert client.post("/en/appeal/new/", _public()).status_code == 429
    assert Appeal.objects.count() == 2


def test_public_form_refuses_a_forbidden_file() -> None:
    upload = SimpleUploadedFile("x.exe", b"MZ", content_type="application/x-msdownload")
    response = Client().post("/en/appeal/new/", {**_public(), "attachment": upload})
    assert response.status_code == 200
    assert "not accepted" in response.content.decode()
    assert Appeal.objects.count() == 0


def test_status_check_needs_the_right_contact(operator: Any) -> None:
    appeal = appeal_register(actor=operator, data=appeal_data())
    client = Client()
    wrong = client.post(
        "/ru/appeal/status/", {"number": appeal.number, "contact": "other@example.kz"}
    )
    assert appeal.applicant_name not in wrong.content.decode()
    assert "Зарегистрировано" not in wrong.content.decode()
    right = client.post(
        "/ru/appeal/status/", {"number": appeal.number, "contact": "8 701 123 45 67"}
    )
    text = right.content.decode()
    assert "Зарегистрировано" in text
    assert appeal.applicant_iin_bin not in text


def test_detail_page_queries_do_not_grow_with_history(operator: Any) -> None:
    from qoldau.appeals.services import appeal_link, appeal_take

    appeal = appeal_register(actor=operator, data=appeal_data())
    first = appeal_register(actor=operator, data=appeal_data())
    appeal_link(actor=operator, appeal_id=appeal.pk, other_number=first.number, kind="related")
    client = _client(operator)
    client.get(f"/en/appeals/{appeal.pk}/")
    with CaptureQueriesContext(connection) as few:
        client.get(f"/en/appeals/{appeal.pk}/")
    for _ in range(5):
        other = appeal_register(actor=operator, data=appeal_data())
        appeal_link(actor=operator, appeal_id=appeal.pk, other_number=other.number, kind="related")
    appeal_take(actor=operator, appeal_id=appeal.pk)
    with CaptureQueriesContext(connection) as many:
        response = client.get(f"/en/appeals/{appeal.pk}/")
    assert response.status_code == 200
    assert len(many) == len(few)
    text = response.content.decode()
    assert "Messages sent" in text  # the acknowledgement in the outbox
    assert first.number in text


def test_registration_page_searches_the_knowledge_base_beside_the_form(operator: Any) -> None:
    page = _client(operator).get("/ru/appeals/new/").content.decode()
    assert 'hx-get="/ru/knowledge/results/"' in page
    results = _client(operator).get("/ru/knowledge/results/", {"q": "справка"})
    assert results.status_code == 200


def test_operator_attaches_a_file_within_the_limits(
    operator: Any, settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    settings.APPEALS_ATTACHMENT_MAX_BYTES = 1024
    client = _client(operator)
    base = {"content": "Вопрос", "category": "consultation", "language": "ru", "channel": "phone"}
    big = SimpleUploadedFile("big.pdf", b"%PDF" + b"0" * 2000, content_type="application/pdf")
    response = client.post("/en/appeals/new/", {**base, "attachment": big})
    assert response.status_code == 200
    assert "larger than" in response.content.decode()
    assert Appeal.objects.count() == 0
    small = SimpleUploadedFile("scan.pdf", b"%PDF-1.4 tiny", content_type="application/pdf")
    assert client.post("/en/appeals/new/", {**base, "attachment": small}).status_code == 302
    attachment = Appeal.objects.get().attachments.get()
    assert attachment.name == "scan.pdf"
    assert attachment.size == len(b"%PDF-1.4 tiny")


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_operator_pages_have_no_english_left(operator: Any, language: str) -> None:
    appeal = appeal_register(actor=operator, data=appeal_data())
    client = _client(operator)
    english = [
        "Work the appeal",
        "History",
        "Take into work",
        "Register an appeal",
        "Deadline",
        "Close the appeal",
        "Messages sent",
        "left",
        "Received",
        "Category",
        "Channel",
    ]
    for url in (
        f"/{language}/appeals/",
        f"/{language}/appeals/new/",
        f"/{language}/appeals/{appeal.pk}/",
    ):
        text = client.get(url).content.decode()
        leftovers = [word for word in english if f">{word}" in text or f"{word}<" in text]
        assert leftovers == [], (url, leftovers)
