"""Service cards generated from the registry's Annex 1 fields (R4, R5) and the demo loader."""

from __future__ import annotations

from pathlib import Path

import pytest

from qoldau.core.errors import PermissionDenied
from qoldau.knowledge import selectors, services
from qoldau.knowledge.cleaning import ArticleInput, TextInput
from qoldau.knowledge.demo import load_demo_knowledge
from qoldau.knowledge.enums import TranslationStatus as S
from qoldau.knowledge.models import Article, ArticleTranslation
from qoldau.knowledge.service_cards import knowledge_sync_service_cards
from qoldau.knowledge.tests.conftest import ECP_KK, ECP_RU, People, publish
from qoldau.registry.enums import AcceptanceStatus
from qoldau.registry.models import PublicService

pytestmark = pytest.mark.django_db


def test_cards_are_generated_in_kazakh_and_russian_as_drafts(service: PublicService) -> None:
    report = knowledge_sync_service_cards(actor=None)
    assert report.services == 1
    assert report.articles_created == 1
    assert report.revisions_created == 2
    card = Article.objects.get(kind="service_card")
    assert card.external_id == "service-00101"
    assert card.service == service
    assert card.owner == service.owner
    assert not card.is_public
    kk = ArticleTranslation.objects.get(article=card, language="kk")
    ru = ArticleTranslation.objects.get(article=card, language="ru")
    assert kk.status == S.DRAFT
    assert not kk.is_live
    assert kk.title == service.name_kk
    assert ru.title == service.name_ru
    assert 'class="kb-generated"' in ru.body
    assert "00101" in ru.body
    assert service.bylaw is not None
    assert service.bylaw.number in ru.body
    assert "Орган, ответственный" in ru.body or "Ответственный государственный орган" in ru.body
    assert "https://egov.kz/" in kk.body
    # a second sync with nothing changed adds nothing
    again = knowledge_sync_service_cards(actor=None)
    assert again.revisions_created == 0
    assert again.unchanged == 2


def test_a_sync_updates_only_the_generated_section(people: People, service: PublicService) -> None:
    knowledge_sync_service_cards(actor=None)
    card = Article.objects.get(kind="service_card")
    ru = ArticleTranslation.objects.get(article=card, language="ru")
    services.article_save(
        actor=people.editor,
        article_id=card.pk,
        data=ArticleInput(kind="service_card", service_id=service.pk),
        texts={
            "ru": TextInput(title=ru.title, body=ru.body + "<p>Совет оператору: уточните ИИН.</p>")
        },
        comment="advice for operators",
    )
    publish(card, "ru", people.editor, people.editor2)
    PublicService.objects.filter(pk=service.pk).update(info_url="https://new.example.kz/")
    report = knowledge_sync_service_cards(actor=None)
    assert report.revisions_created == 2
    ru = ArticleTranslation.objects.get(article=card, language="ru")
    assert "https://new.example.kz/" in ru.body
    assert "Совет оператору: уточните ИИН." in ru.body
    assert ru.status == S.DRAFT
    assert ru.is_live
    assert "https://new.example.kz/" not in ru.published_body


def test_only_the_system_publishes_cards_without_review(
    people: People, service: PublicService
) -> None:
    with pytest.raises(PermissionDenied):
        knowledge_sync_service_cards(actor=people.editor, publish=True)
    with pytest.raises(PermissionDenied):
        knowledge_sync_service_cards(actor=people.operator)
    report = knowledge_sync_service_cards(actor=people.editor)
    assert report.revisions_created == 2


def test_the_demo_loader_imports_the_file_and_publishes_cards(
    tmp_path: Path, service: PublicService
) -> None:
    PublicService.objects.filter(pk=service.pk).update(
        acceptance_status=AcceptanceStatus.TRAINING, consultation_from=None
    )
    demo = tmp_path / "articles.jsonl"
    demo.write_text(f"{ECP_KK}\n{ECP_RU}\n", encoding="utf-8")
    assert load_demo_knowledge(demo) == 4
    assert load_demo_knowledge(demo) == 0  # twice changes nothing
    results = selectors.knowledge_search(query="анықтама", language="kk")
    assert [result.article.external_id for result in results] == ["service-00101"]
    assert results[0].consultable is False  # R7: shown, marked not yet consulted on
    assert selectors.knowledge_search(query="ЭЦҚ", language="kk")[0].article.external_id == (
        "how-to-ecp"
    )


def test_the_demo_loader_skips_a_missing_file(tmp_path: Path, service: PublicService) -> None:
    assert load_demo_knowledge(tmp_path / "missing.jsonl") == 2  # only the cards
