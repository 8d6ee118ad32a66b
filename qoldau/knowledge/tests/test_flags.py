"""Review when the law changes (R23, Rules p.26): the registry's event flags the articles of
the by-law's services, due in five working days; the sweep catches what the event missed;
publishing every language again, or a note, resolves the flag."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from qoldau.core.errors import Conflict, ValidationFailed
from qoldau.core.events import publish as publish_event
from qoldau.core.events import subscribers
from qoldau.knowledge import services
from qoldau.knowledge.cleaning import ArticleInput, TextInput
from qoldau.knowledge.enums import FlagResolution
from qoldau.knowledge.handlers import on_bylaw_changed
from qoldau.knowledge.models import Article, ReviewFlag
from qoldau.knowledge.tests.conftest import People, client_for, draft, publish
from qoldau.policy.selectors import policy_citation
from qoldau.registry.models import PublicService
from qoldau.registry.services import service_record_bylaw_change
from qoldau.registry.tests.factories import AmendmentFactory, ServiceFactory

pytestmark = pytest.mark.django_db
ALMATY = ZoneInfo("Asia/Almaty")
# Monday 2 November 2026, 10:00 in Almaty: five working days end on Monday 9 November.
MONDAY = dt.datetime(2026, 11, 2, 10, 0, tzinfo=ALMATY)
DUE = dt.datetime(2026, 11, 9, 23, 59, 59, tzinfo=ALMATY)


def _card(people: People, service: PublicService, external_id: str = "card") -> int:
    article = draft(
        people.editor, external_id=external_id, kind="service_card", service_id=service.pk
    )
    publish(article, "kk", people.editor, people.editor2)
    publish(article, "ru", people.editor, people.editor2)
    return article.pk


def test_the_handler_is_subscribed() -> None:
    assert on_bylaw_changed in subscribers("registry.bylaw_changed")


def test_a_bylaw_change_flags_the_articles_of_its_services_due_in_five_working_days(
    people: People, service: PublicService
) -> None:
    article_id = _card(people, service)
    other = ServiceFactory.create()
    other_id = _card(people, other, "other-card")
    amendment = AmendmentFactory.create(bylaw=service.bylaw)
    publish_event(
        "registry.bylaw_changed",
        service_ids=[service.pk],
        amendment_id=amendment.pk,
        occurred_at=MONDAY,
    )
    flag = ReviewFlag.objects.get()
    assert flag.article_id == article_id
    assert flag.amendment == amendment
    assert flag.due_at == DUE
    assert flag.occurred_at == MONDAY
    assert "p.26" in policy_citation(flag.rule_id)
    assert not ReviewFlag.objects.filter(article_id=other_id).exists()
    # the same event twice raises no second flag
    publish_event(
        "registry.bylaw_changed",
        service_ids=[service.pk],
        amendment_id=amendment.pk,
        occurred_at=MONDAY,
    )
    assert ReviewFlag.objects.count() == 1


def test_the_sweep_flags_changes_the_event_missed(people: People, service: PublicService) -> None:
    with time_machine.travel(MONDAY - dt.timedelta(days=3), tick=False):
        article_id = _card(people, service)
    with time_machine.travel(MONDAY, tick=False):
        amendment = AmendmentFactory.create(bylaw=service.bylaw)  # recorded without the event
        assert services.knowledge_flag_unreviewed_changes() == 1
        assert services.knowledge_flag_unreviewed_changes() == 0
    flag = ReviewFlag.objects.get()
    assert flag.article_id == article_id
    assert flag.amendment == amendment
    assert flag.due_at == DUE


def test_the_sweep_leaves_articles_written_after_the_change(
    people: People, service: PublicService
) -> None:
    with time_machine.travel(MONDAY, tick=False):
        AmendmentFactory.create(bylaw=service.bylaw)
    with time_machine.travel(MONDAY + dt.timedelta(hours=2), tick=False):
        _card(people, service)
        assert services.knowledge_flag_unreviewed_changes() == 0


def test_publishing_every_language_again_resolves_the_flag(
    people: People, service: PublicService
) -> None:
    article_id = _card(people, service)
    amendment = AmendmentFactory.create(bylaw=service.bylaw)
    on_bylaw_changed(service_ids=[service.pk], amendment_id=amendment.pk, occurred_at=MONDAY)
    article = Article.objects.get(pk=article_id)
    for language, body in (("kk", "<p>Жаңа мерзім.</p>"), ("ru", "<p>Новый срок.</p>")):
        services.article_save(
            actor=people.editor,
            article_id=article_id,
            data=ArticleInput(kind="service_card", service_id=service.pk),
            texts={language: TextInput(title="Анықтама", body=body)},
            comment="the by-law changed",
        )
        publish(article, language, people.editor, people.editor2)
        flag = ReviewFlag.objects.get()
        if language == "kk":
            assert flag.is_open  # the Russian text is still the old one
    assert flag.resolution == FlagResolution.PUBLISHED
    assert flag.resolved_by == people.editor2


def test_an_editor_may_mark_it_checked_with_a_note(people: People, service: PublicService) -> None:
    _card(people, service)
    amendment = AmendmentFactory.create(bylaw=service.bylaw)
    on_bylaw_changed(service_ids=[service.pk], amendment_id=amendment.pk, occurred_at=MONDAY)
    flag = ReviewFlag.objects.get()
    with pytest.raises(ValidationFailed):
        services.review_flag_resolve(actor=people.editor, flag_id=flag.pk, note="")
    services.review_flag_resolve(
        actor=people.editor, flag_id=flag.pk, note="The change concerns fees only"
    )
    flag.refresh_from_db()
    assert flag.resolution == FlagResolution.REVIEWED
    assert not flag.is_open
    with pytest.raises(Conflict):
        services.review_flag_resolve(actor=people.editor, flag_id=flag.pk, note="again")


def test_flags_show_to_editors_supervisors_and_on_the_article(
    people: People, service: PublicService
) -> None:
    article_id = _card(people, service)
    amendment = AmendmentFactory.create(bylaw=service.bylaw, number="777")
    on_bylaw_changed(service_ids=[service.pk], amendment_id=amendment.pk, occurred_at=MONDAY)
    for user in (people.editor, people.supervisor):
        page = client_for(user).get("/en/knowledge/review/")
        assert page.status_code == 200
        assert "card" in page.content.decode()
        assert "09.11.2026" in page.content.decode()
    assert "09.11.2026" in client_for(people.editor).get("/en/knowledge/editor/").content.decode()
    article_page = client_for(people.operator).get(f"/en/knowledge/articles/{article_id}/")
    assert "being reviewed" in article_page.content.decode()
    assert client_for(people.operator).get("/en/knowledge/review/").status_code == 403
    # a supervisor sees, but does not resolve
    flag = ReviewFlag.objects.get()
    response = client_for(people.supervisor).post(
        f"/en/knowledge/editor/flags/{flag.pk}/resolve/", {"note": "no"}
    )
    assert response.status_code == 403
    flag.refresh_from_db()
    assert flag.is_open


def test_recording_a_change_in_the_registry_flags_the_articles(
    people: People, service: PublicService
) -> None:
    """End to end: the registry's own service publishes the event inside its transaction."""
    article_id = _card(people, service)
    assert service.bylaw_id is not None
    with time_machine.travel(MONDAY, tick=False):
        amendment = service_record_bylaw_change(
            actor=None,
            bylaw_id=service.bylaw_id,
            data={
                "amended_on": "2026-10-30",
                "number": "512",
                "title_kk": "Өзгерістер енгізу туралы",
                "title_ru": "О внесении изменений",
            },
        )
    flag = ReviewFlag.objects.get()
    assert flag.article_id == article_id
    assert flag.amendment == amendment
    assert flag.due_at == DUE
