"""The pages: who may open what (R2), what operators and the public see (R6, R7), the editor's
forms and their errors (R5), and the number of queries of the list pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from qoldau.knowledge.enums import TranslationStatus as S
from qoldau.knowledge.models import Article, ArticleRevision, ArticleTranslation, SynonymGroup
from qoldau.knowledge.tests.conftest import (
    ECP_KK,
    ECP_RU,
    PENSION_RU,
    People,
    article_of,
    client_for,
    draft,
    import_lines,
    line,
    publish,
)
from qoldau.registry.enums import AcceptanceStatus
from qoldau.registry.tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db

EDITOR_PAGES = [
    "/en/knowledge/editor/",
    "/en/knowledge/editor/articles/",
    "/en/knowledge/editor/articles/new/",
    "/en/knowledge/editor/synonyms/",
]


def _form(**overrides: Any) -> dict[str, Any]:
    data = {
        "external_id": "how-to-new",
        "kind": "how_to",
        "source": "contact_center",
        "title_kk": "Жаңа мақала",
        "keywords_kk": "бір, екі",
        "body_kk": "<p>Қазақша мәтін.</p>",
        "title_ru": "Новая статья",
        "keywords_ru": "",
        "body_ru": "<p>Русский текст.</p>",
        "title_en": "",
        "keywords_en": "",
        "body_en": "",
        "comment": "new article",
    }
    return data | overrides


@pytest.mark.parametrize("url", [*EDITOR_PAGES, "/en/knowledge/"])
def test_anonymous_visitors_are_sent_to_sign_in(db: None, url: str) -> None:
    response = Client().get(url)
    assert response.status_code == 302
    assert "/login/" in response["Location"]


@pytest.mark.parametrize("url", EDITOR_PAGES)
def test_operators_and_partners_cannot_open_editor_screens(people: People, url: str) -> None:
    for user in (people.operator, people.supervisor, people.partner):
        assert client_for(user).get(url).status_code == 403
    for user in (people.editor, people.admin):
        assert client_for(user).get(url).status_code == 200


def test_a_partner_cannot_search_and_an_operator_cannot_edit(people: People) -> None:
    import_lines(ECP_RU)
    article = article_of("how-to-ecp")
    assert client_for(people.partner).get("/en/knowledge/", {"q": "ЭЦП"}).status_code == 403
    operator = client_for(people.operator)
    assert operator.get("/en/knowledge/", {"q": "ЭЦП"}).status_code == 200
    response = operator.post(f"/en/knowledge/editor/articles/{article.pk}/", _form())
    assert response.status_code == 403
    response = operator.post(
        f"/en/knowledge/editor/articles/{article.pk}/ru/archive/", {"note": "x"}
    )
    assert response.status_code == 403
    assert ArticleTranslation.objects.get().status == S.PUBLISHED


def test_unpublished_text_is_invisible_to_operators_and_the_public(people: People) -> None:
    article = draft(people.editor)
    article.is_public = True
    article.save(update_fields=["is_public"])
    operator = client_for(people.operator)
    assert operator.get(f"/en/knowledge/articles/{article.pk}/").status_code == 404
    assert Client().get(f"/en/faq/{article.pk}/").status_code == 404
    page = operator.get("/en/knowledge/", {"q": "удостоверение", "lang": "ru"}).content.decode()
    assert "Замена удостоверения" not in page
    publish(article, "ru", people.editor, people.editor2)
    # a new draft of the published text stays invisible too
    client_for(people.editor).post(
        f"/en/knowledge/editor/articles/{article.pk}/",
        _form(
            is_public="on",
            title_ru="Замена удостоверения личности",
            body_ru="<p>СЕКРЕТНЫЙ ЧЕРНОВИК</p>",
            title_kk="Жеке куәлікті ауыстыру",
            body_kk="<p>Жеке куәлікті ХҚКО-да ауыстыруға болады.</p>",
            keywords_kk="куәлік",
            keywords_ru="удостоверение",
            comment="draft",
        ),
    )
    assert ArticleTranslation.objects.get(article=article, language="ru").status == S.DRAFT
    for client, url in (
        (operator, f"/en/knowledge/articles/{article.pk}/?lang=ru"),
        (Client(), f"/en/faq/{article.pk}/?lang=ru"),
    ):
        response = client.get(url)
        assert response.status_code == 200
        assert "Заменить удостоверение" in response.content.decode()
        assert "СЕКРЕТНЫЙ" not in response.content.decode()
    faq = Client().get("/en/faq/", {"q": "удостоверение", "lang": "ru"}).content.decode()
    assert "Замена <mark>удостоверения</mark>" in faq
    assert "СЕКРЕТНЫЙ" not in faq


def test_the_faq_shows_only_public_articles(people: People, service: Any) -> None:
    import_lines(
        ECP_RU,
        line(
            "card-00101",
            "ru",
            "Справка о несудимости: карточка",
            "<p>Внутренняя карточка с ЭЦП.</p>",
            kind="service_card",
            service_code="00101",
        ),
    )
    card = article_of("card-00101")
    assert not card.is_public
    page = Client().get("/ru/faq/", {"q": "ЭЦП", "lang": "ru"}).content.decode()
    assert "Как получить <mark>ЭЦП</mark>" in page
    assert "карточка" not in page
    assert Client().get(f"/ru/faq/{card.pk}/").status_code == 404
    assert Client().get("/kk/faq/").status_code == 200


def test_search_page_puts_the_box_first_and_highlights(people: People) -> None:
    import_lines(ECP_KK, ECP_RU, PENSION_RU)
    operator = client_for(people.operator)
    page = operator.get("/kk/knowledge/").content.decode()
    assert 'id="kb-q"' in page
    assert "autofocus" in page
    assert 'hx-trigger="keyup changed delay:150ms, input changed delay:150ms, search"' in page
    partial = operator.get(
        "/kk/knowledge/", {"q": "ЭЦҚ алу", "lang": "kk"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert "<html" not in partial
    assert "<mark>ЭЦҚ</mark>" in partial
    article = article_of("how-to-ecp")
    assert f"/kk/knowledge/articles/{article.pk}/?lang=kk" in partial


def test_article_page_switches_language_and_offers_copy(people: People) -> None:
    import_lines(ECP_KK, ECP_RU)
    article = article_of("how-to-ecp")
    operator = client_for(people.operator)
    kk = operator.get(f"/en/knowledge/articles/{article.pk}/?lang=kk").content.decode()
    assert "ЭЦҚ қалай алуға болады" in kk
    assert 'data-copy-target="kb-answer"' in kk
    assert 'href="?lang=ru"' in kk
    ru = operator.get(f"/en/knowledge/articles/{article.pk}/?lang=ru").content.decode()
    assert "Как получить ЭЦП" in ru
    # a language without a version falls back and says so
    en = operator.get(f"/en/knowledge/articles/{article.pk}/?lang=en").content.decode()
    assert "There is no English version" in en


def test_a_service_not_yet_consulted_on_shows_its_state_and_date(people: People) -> None:
    ServiceFactory.create(
        register_number="00777",
        acceptance_status=AcceptanceStatus.ACCEPTED,
        protocol_signed_on="2026-10-01",
        consultation_from="2026-12-15",
    )
    import_lines(
        line(
            "service-00777",
            "ru",
            "Новая услуга",
            "<p>Порядок оказания новой услуги.</p>",
            kind="service_card",
            service_code="00777",
        )
    )
    article = article_of("service-00777")
    operator = client_for(people.operator)
    page = operator.get(f"/en/knowledge/articles/{article.pk}/?lang=ru").content.decode()
    assert "This service is not consulted on yet." in page
    assert "Accepted for consultation" in page
    assert "15.12.2026" in page
    results = operator.get("/en/knowledge/", {"q": "новой услуги", "lang": "ru"}).content.decode()
    assert "Not consulted on yet" in results
    assert "15.12.2026" in results


def test_the_editor_creates_and_publishes_through_the_screens(people: People) -> None:
    editor = client_for(people.editor)
    response = editor.post("/en/knowledge/editor/articles/new/", _form())
    assert response.status_code == 302
    article = Article.objects.get(external_id="how-to-new")
    assert article.is_public is False  # the box was not ticked
    response = editor.post(f"/en/knowledge/editor/articles/{article.pk}/kk/submit/")
    assert response.status_code == 302
    # the author may not approve
    response = editor.post(f"/en/knowledge/editor/articles/{article.pk}/kk/approve/")
    assert response.status_code == 403
    assert "another editor" in response.content.decode().lower()
    second = client_for(people.editor2)
    assert second.post(f"/en/knowledge/editor/articles/{article.pk}/kk/approve/").status_code == 302
    version = ArticleTranslation.objects.get(article=article, language="kk")
    assert version.status == S.PUBLISHED
    page = second.get(f"/en/knowledge/editor/articles/{article.pk}/history/kk/").content.decode()
    assert "new article" in page
    assert "in force" in page


def test_empty_kazakh_title_on_publish_is_a_field_error_in_the_users_language(
    people: People,
) -> None:
    editor = client_for(people.editor)
    editor.post("/kk/knowledge/editor/articles/new/", _form(title_kk=""))
    article = Article.objects.get(external_id="how-to-new")
    response = editor.post(f"/kk/knowledge/editor/articles/{article.pk}/kk/submit/")
    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="id_title_kk_error"' in page
    assert "Жариялау алдында қазақша тақырыпты енгізіңіз." in page
    assert ArticleTranslation.objects.get(article=article, language="kk").status == S.DRAFT


def test_a_huge_body_and_a_missing_reason_change_nothing(people: People) -> None:
    editor = client_for(people.editor)
    response = editor.post(
        "/en/knowledge/editor/articles/new/",
        _form(body_ru="<p>" + "я" * 1_000_000 + "</p>", comment=""),
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="id_body_ru_error"' in page
    assert "The text is too long" in page
    assert 'id="id_comment_error"' in page
    assert "Say why you make this change." in page
    assert not Article.objects.exists()
    assert not ArticleRevision.objects.exists()


def test_unsafe_html_is_cleaned_and_previewed(people: People) -> None:
    editor = client_for(people.editor)
    editor.post(
        "/en/knowledge/editor/articles/new/",
        _form(body_ru='<p onmouseover="x()">Текст<script>alert(1)</script></p>'),
    )
    body = ArticleTranslation.objects.get(language="ru").body
    assert body == "<p>Текст</p>"
    preview = editor.post(
        "/en/knowledge/editor/preview/",
        {"language": "kk", "body_kk": '<a href="javascript:x()">сілтеме</a><b>қалың</b>'},
    )
    assert preview.status_code == 200
    assert "javascript" not in preview.content.decode()
    assert "<b>қалың</b>" in preview.content.decode()


def test_synonyms_are_edited_on_the_editor_screen(people: People) -> None:
    editor = client_for(people.editor)
    response = editor.post(
        "/en/knowledge/editor/synonyms/new/",
        {"terms": "КГД\nкомитет госдоходов", "is_active": "on"},
    )
    assert response.status_code == 302
    assert SynonymGroup.objects.filter(terms=["КГД", "комитет госдоходов"]).exists()
    response = editor.post("/en/knowledge/editor/synonyms/new/", {"terms": "одно"})
    assert response.status_code == 422
    assert "at least two" in response.content.decode()


def test_list_pages_use_a_fixed_number_of_queries(
    people: People, django_assert_max_num_queries: Any
) -> None:
    for number in range(12):
        import_lines(
            line(f"a-{number}", "kk", f"Мақала {number} ЭЦҚ", "<p>ЭЦҚ туралы мәтін.</p>"),
            line(f"a-{number}", "ru", f"Статья {number} ЭЦП", "<p>Текст про ЭЦП.</p>"),
        )
    draft(people.editor, external_id="draft-1")
    editor = client_for(people.editor)
    operator = client_for(people.operator)
    operator.get("/kk/knowledge/", {"q": "ЭЦҚ"})  # builds the index once
    editor.get("/en/knowledge/editor/")
    for client, url, params in (
        (editor, "/en/knowledge/editor/articles/", {}),
        (editor, "/en/knowledge/editor/", {}),
        (editor, "/en/knowledge/review/", {}),
        (operator, "/kk/knowledge/", {"q": "ЭЦҚ"}),
        (Client(), "/kk/faq/", {"q": "ЭЦҚ"}),
    ):
        with django_assert_max_num_queries(16):
            assert client.get(url, params).status_code == 200


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_every_page_renders_in_each_language(
    people: People, service: Any, language: str, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    import_lines(ECP_KK, ECP_RU, PENSION_RU)  # revisions by the system (no author)
    article = article_of("how-to-ecp")
    editor = client_for(people.editor)
    editor.post(
        f"/{language}/knowledge/editor/articles/{article.pk}/",
        _form(
            title_kk="ЭЦҚ қалай алуға болады",
            body_kk="<p>Жаңа мәтін.</p>",
            comment="edit",
            is_public="on",
        ),
    )
    editor.post(f"/{language}/knowledge/editor/articles/{article.pk}/kk/submit/")
    urls = [
        f"/{language}/knowledge/",
        f"/{language}/knowledge/?q=ЭЦП",
        f"/{language}/knowledge/articles/{article.pk}/",
        f"/{language}/knowledge/review/",
        f"/{language}/knowledge/editor/",
        f"/{language}/knowledge/editor/articles/",
        f"/{language}/knowledge/editor/articles/?missing=kk&status=draft&flagged=1&kind=how_to",
        f"/{language}/knowledge/editor/articles/new/",
        f"/{language}/knowledge/editor/articles/{article.pk}/",
        f"/{language}/knowledge/editor/articles/{article.pk}/history/kk/",
        f"/{language}/knowledge/editor/articles/{article.pk}/history/kk/?old=1&new=2",
        f"/{language}/knowledge/editor/articles/{article.pk}/history/en/",
        f"/{language}/knowledge/editor/synonyms/",
        f"/{language}/knowledge/editor/synonyms/new/",
        f"/{language}/faq/",
        f"/{language}/faq/?q=ЭЦП",
        f"/{language}/faq/{article.pk}/",
    ]
    for url in urls:
        response = editor.get(url)
        assert response.status_code == 200, url
        assert f'<html lang="{language}">' in response.content.decode(), url
    history = editor.get(f"/{language}/knowledge/editor/articles/{article.pk}/history/kk/")
    assert "<del>" in history.content.decode() or "<ins>" in history.content.decode()
