"""Attachments (type and size limits), the admin, the index log's pruning and the demo loader
with service cards (loading twice changes nothing)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from qoldau.core.errors import ValidationFailed
from qoldau.knowledge import services
from qoldau.knowledge.attachments import ATTACHMENT_MAX_BYTES, attachment_add
from qoldau.knowledge.demo import load_demo_knowledge
from qoldau.knowledge.indexing import IndexManager
from qoldau.knowledge.models import ArticleAttachment, IndexChange, SynonymGroup
from qoldau.knowledge.tests.conftest import (
    ECP_KK,
    ECP_RU,
    People,
    article_of,
    client_for,
    import_lines,
    line,
)
from qoldau.registry.models import PublicService

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_an_attachment_is_stored_under_a_random_name_and_downloaded(
    people: People, tmp_path: Path, settings: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    import_lines(ECP_RU)
    article = article_of("how-to-ecp")
    editor = client_for(people.editor)
    upload = SimpleUploadedFile("../../etc/passwd.pdf", PDF, content_type="application/pdf")
    response = editor.post(
        f"/en/knowledge/editor/articles/{article.pk}/attachments/",
        {"file": upload, "title": "Application form", "language": "ru"},
    )
    assert response.status_code == 302
    attachment = ArticleAttachment.objects.get()
    assert "passwd" not in attachment.file.name
    assert attachment.file.name.startswith(f"knowledge/{article.pk}/")
    assert attachment.size == len(PDF)
    assert attachment.content_type == "application/pdf"
    download = client_for(people.operator).get(f"/en/knowledge/attachments/{attachment.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF  # type: ignore[attr-defined]
    assert "Application form.pdf" in download["Content-Disposition"]
    page = client_for(people.operator).get(f"/en/knowledge/articles/{article.pk}/?lang=ru")
    assert "Application form" in page.content.decode()
    assert (
        client_for(people.partner).get(f"/en/knowledge/attachments/{attachment.pk}/").status_code
        == 403
    )


def test_an_upload_to_a_missing_article_is_not_found(people: People) -> None:
    editor = client_for(people.editor)
    url = "/kk/knowledge/editor/articles/999999/attachments/"
    # Without a file (the upload's own error) and with one: the article decides first.
    assert editor.post(url, {"title": ""}).status_code == 404
    upload = SimpleUploadedFile("form.pdf", PDF, content_type="application/pdf")
    assert editor.post(url, {"file": upload, "title": "Өтініш"}).status_code == 404
    assert not ArticleAttachment.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("script.exe", b"MZ\x90\x00", "bad_type"),
        ("fake.pdf", b"<html><script>alert(1)</script>", "bad_content"),
        ("page.html", b"<p>x</p>", "bad_type"),
        ("big.txt", b"a" * (ATTACHMENT_MAX_BYTES + 1), "too_large"),
        ("binary.txt", b"\xff\xfe\x00\x01", "bad_content"),
    ],
)
def test_unsafe_or_large_files_are_refused(
    people: People, tmp_path: Path, settings: Any, name: str, content: bytes, code: str
) -> None:
    settings.MEDIA_ROOT = tmp_path
    import_lines(ECP_RU)
    article = article_of("how-to-ecp")
    with pytest.raises(ValidationFailed) as failed:
        attachment_add(
            actor=people.editor,
            article_id=article.pk,
            upload=SimpleUploadedFile(name, content),
            title="x",
        )
    assert [error.code for error in failed.value.errors] == [code]
    assert not ArticleAttachment.objects.exists()
    assert not list(tmp_path.rglob("*.*"))


def test_the_admin_shows_every_model_and_edits_synonyms_through_the_service(
    people: People,
) -> None:
    import_lines(ECP_KK, ECP_RU)
    people.admin.is_staff = people.admin.is_superuser = True
    people.admin.save(update_fields=["is_staff", "is_superuser"])
    admin = client_for(people.admin)
    for model in (
        "article",
        "articletranslation",
        "articlerevision",
        "articleattachment",
        "reviewflag",
        "indexchange",
        "synonymgroup",
    ):
        assert admin.get(f"/en/admin/knowledge/{model}/").status_code == 200
    article = article_of("how-to-ecp")
    page = admin.get(f"/en/admin/knowledge/article/{article.pk}/change/").content.decode()
    assert "Open in the knowledge base editor" in page
    before = IndexChange.objects.count()
    response = admin.post(
        "/en/admin/knowledge/synonymgroup/add/",
        {"terms_text": "КГД\nкомитет государственных доходов", "note": "tax", "is_active": "on"},
    )
    assert response.status_code == 302
    assert SynonymGroup.objects.filter(terms=["КГД", "комитет государственных доходов"]).exists()
    assert IndexChange.objects.count() == before + 1
    response = admin.post("/en/admin/knowledge/synonymgroup/add/", {"terms_text": "один"})
    assert response.status_code == 200
    assert "at least two" in response.content.decode()


def test_the_index_log_is_pruned_but_its_highest_id_stays(people: People) -> None:
    start = dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        import_lines(ECP_RU)
        import_lines(line("other", "ru", "Другая", "<p>Текст.</p>"))
    newest = IndexChange.objects.order_by("-pk").first()
    assert newest is not None
    with time_machine.travel(start + dt.timedelta(days=8), tick=False):
        manager = IndexManager()
        manager.fresh()
        total = IndexChange.objects.count()
        assert total > 1
        assert services.index_change_prune() == total - 1
        assert list(IndexChange.objects.values_list("pk", flat=True)) == [newest.pk]
        assert manager.fresh().search("другая", languages=["ru"])


def test_the_demo_loader_is_idempotent_with_service_cards(
    tmp_path: Path, service: PublicService
) -> None:
    card = line(
        "svc-00101",
        "ru",
        "Справка о несудимости",
        "<p>Справку выдаёт КПСиСУ.</p>",
        kind="service_card",
        service_code="00101",
    )
    demo = tmp_path / "articles.jsonl"
    demo.write_text(f"{ECP_KK}\n{ECP_RU}\n{card}\n", encoding="utf-8")
    assert load_demo_knowledge(demo) > 0
    version = article_of("svc-00101").translations.get(language="ru")
    assert "Справку выдаёт КПСиСУ." in version.published_body  # the written text first
    assert 'class="kb-generated"' in version.published_body  # then the registry's facts
    assert load_demo_knowledge(demo) == 0
    assert load_demo_knowledge(demo) == 0


def test_anonymous_search_requests_never_reach_the_staff_api(db: None) -> None:
    assert Client().get("/en/knowledge/results/", {"q": "x"}).status_code == 302
