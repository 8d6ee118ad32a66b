"""The lifecycle of a language version (R5): the transitions table, revisions with who/when/why,
review by a second editor, publication that keeps the old text visible until the new one is
approved, archive, and the diff between revisions."""

from __future__ import annotations

import pytest

from qoldau.audit.models import AuditEvent
from qoldau.core.errors import Conflict, PermissionDenied, ValidationFailed
from qoldau.knowledge import selectors, services
from qoldau.knowledge.cleaning import ArticleInput, TextInput
from qoldau.knowledge.enums import TranslationStatus as S
from qoldau.knowledge.models import Article, ArticleRevision, ArticleTranslation, IndexChange
from qoldau.knowledge.tests.conftest import People, draft, publish
from qoldau.knowledge.transitions import (
    NEW,
    TRANSITIONS,
    translation_actions,
    translation_can,
)

pytestmark = pytest.mark.django_db


def _version(article: Article, language: str) -> ArticleTranslation:
    return ArticleTranslation.objects.get(article=article, language=language)


def test_the_table_allows_and_refuses_moves() -> None:
    assert translation_can("save", NEW)
    assert translation_can("submit", S.DRAFT)
    assert translation_can("approve", S.IN_REVIEW)
    assert translation_can("return", S.IN_REVIEW)
    assert translation_can("archive", S.PUBLISHED)
    assert translation_can("save", S.PUBLISHED)  # editing a published text makes a draft
    # refused
    assert not translation_can("approve", S.DRAFT)  # nothing is published unreviewed
    assert not translation_can("submit", S.PUBLISHED)
    assert not translation_can("submit", S.IN_REVIEW)
    assert not translation_can("archive", S.ARCHIVED)
    assert not translation_can("approve", S.ARCHIVED)
    assert not translation_can("unknown", S.DRAFT)
    assert translation_actions(S.DRAFT) == ["submit", "archive"]
    assert translation_actions(S.IN_REVIEW) == ["approve", "return", "archive"]
    assert {move.target for move in TRANSITIONS.values()} <= set(S.values)


def test_save_submit_approve_publishes_with_who_when_why(people: People) -> None:
    article = draft(people.editor, comment="new how-to for ID cards")
    kk = _version(article, "kk")
    assert kk.status == S.DRAFT
    assert kk.revision_number == 1
    assert not kk.is_live
    revision = ArticleRevision.objects.get(translation=kk, number=1)
    assert revision.created_by == people.editor
    assert revision.comment == "new how-to for ID cards"
    assert revision.created_at is not None

    services.translation_submit(actor=people.editor, article_id=article.pk, language="kk")
    assert _version(article, "kk").status == S.IN_REVIEW
    services.translation_approve(
        actor=people.editor2, article_id=article.pk, language="kk", note="checked"
    )
    kk = _version(article, "kk")
    assert kk.status == S.PUBLISHED
    assert kk.published_revision_number == 1
    assert kk.published_title == "Жеке куәлікті ауыстыру"
    revision.refresh_from_db()
    assert revision.status == S.PUBLISHED
    assert revision.reviewed_by == people.editor2
    assert revision.review_note == "checked"
    assert IndexChange.objects.filter(article_id=article.pk).exists()
    actions = list(
        AuditEvent.objects.filter(action__startswith="knowledge.")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == [
        "knowledge.article_created",
        "knowledge.translation_submitted",
        "knowledge.translation_published",
    ]


def test_an_editor_may_not_approve_their_own_revision(people: People) -> None:
    article = draft(people.editor)
    services.translation_submit(actor=people.editor, article_id=article.pk, language="ru")
    with pytest.raises(PermissionDenied) as refused:
        services.translation_approve(actor=people.editor, article_id=article.pk, language="ru")
    assert refused.value.code == "self_approval"
    version = _version(article, "ru")
    assert version.status == S.IN_REVIEW
    assert not version.is_live
    # an administrator who is not the author may
    services.translation_approve(actor=people.admin, article_id=article.pk, language="ru")
    assert _version(article, "ru").is_live


def test_refused_moves_change_nothing(people: People) -> None:
    article = draft(people.editor)
    with pytest.raises(Conflict):
        services.translation_approve(actor=people.editor2, article_id=article.pk, language="kk")
    publish(article, "kk", people.editor, people.editor2)
    with pytest.raises(Conflict):
        services.translation_submit(actor=people.editor, article_id=article.pk, language="kk")
    services.translation_archive(
        actor=people.editor, article_id=article.pk, language="kk", note="outdated"
    )
    with pytest.raises(Conflict):
        services.translation_archive(
            actor=people.editor, article_id=article.pk, language="kk", note="again"
        )
    assert _version(article, "kk").status == S.ARCHIVED


def test_operators_and_partners_may_not_edit(people: People) -> None:
    for outsider in (people.operator, people.supervisor, people.partner):
        with pytest.raises(PermissionDenied):
            draft(outsider, external_id=f"x-{outsider.pk}")
    assert not Article.objects.exists()
    article = draft(people.editor)
    services.translation_submit(actor=people.editor, article_id=article.pk, language="kk")
    with pytest.raises(PermissionDenied):
        services.translation_approve(actor=people.operator, article_id=article.pk, language="kk")
    assert _version(article, "kk").status == S.IN_REVIEW


def test_editing_a_published_version_keeps_it_visible_until_the_new_one_is_published(
    people: People,
) -> None:
    article = draft(people.editor)
    publish(article, "ru", people.editor, people.editor2)
    services.article_save(
        actor=people.editor2,
        article_id=article.pk,
        data=ArticleInput(kind="how_to"),
        texts={
            "ru": TextInput(
                title="Замена удостоверения личности",
                keywords=("удостоверение",),
                body="<p>Заменить удостоверение личности можно в ЦОН или на портале eGov.</p>",
            )
        },
        comment="added eGov",
    )
    ru = _version(article, "ru")
    assert ru.status == S.DRAFT
    assert ru.revision_number == 2
    assert ru.is_live
    assert ru.published_revision_number == 1
    assert "eGov" not in ru.published_body  # operators still read revision 1
    view = selectors.article_get_for_reading(article_id=article.pk, language="ru")
    assert "eGov" not in view.shown.published_body
    publish(article, "ru", people.editor2, people.editor)
    ru = _version(article, "ru")
    assert ru.published_revision_number == 2
    assert "eGov" in ru.published_body
    statuses = dict(ArticleRevision.objects.filter(translation=ru).values_list("number", "status"))
    assert statuses == {1: S.ARCHIVED, 2: S.PUBLISHED}


def test_saving_the_same_text_adds_no_revision(people: People) -> None:
    article = draft(people.editor)
    version = _version(article, "kk")
    services.article_save(
        actor=people.editor,
        article_id=article.pk,
        data=ArticleInput(kind="how_to"),
        texts={
            "kk": TextInput(
                title=version.title, keywords=tuple(version.keywords), body=version.body
            )
        },
        comment="no change",
    )
    assert _version(article, "kk").revision_number == 1


def test_publishing_needs_a_title_in_that_language(people: People) -> None:
    article = draft(
        people.editor,
        texts={"kk": TextInput(title="", body="<p>Мәтін бар, тақырып жоқ.</p>")},
    )
    with pytest.raises(ValidationFailed) as failed:
        services.translation_submit(actor=people.editor, article_id=article.pk, language="kk")
    assert [error.field for error in failed.value.errors] == ["title_kk"]
    assert str(failed.value.errors[0].message) == "Enter the Kazakh title before publishing."
    assert _version(article, "kk").status == S.DRAFT


def test_a_reason_is_required_and_bad_input_changes_nothing(people: People) -> None:
    with pytest.raises(ValidationFailed) as failed:
        services.article_save(
            actor=people.editor,
            article_id=None,
            external_id="big",
            data=ArticleInput(kind="how_to"),
            texts={"kk": TextInput(title="Үлкен", body="<p>" + "а" * 1_000_000 + "</p>")},
            comment=" ",
        )
    fields = {error.field for error in failed.value.errors}
    assert fields == {"body_kk", "comment"}
    assert not Article.objects.exists()
    assert not ArticleRevision.objects.exists()


def test_unsafe_html_is_cleaned_on_save(people: People) -> None:
    article = draft(
        people.editor,
        texts={
            "ru": TextInput(
                title="Ссылка",
                body='<p onclick="steal()">Текст <a href="javascript:alert(1)">ссылка</a></p>'
                "<script>alert(1)</script>",
            )
        },
    )
    body = _version(article, "ru").body
    assert "onclick" not in body
    assert "javascript:" not in body
    assert "<script" not in body
    assert "Текст" in body


def test_return_needs_a_note_and_goes_back_to_draft(people: People) -> None:
    article = draft(people.editor)
    services.translation_submit(actor=people.editor, article_id=article.pk, language="kk")
    with pytest.raises(ValidationFailed):
        services.translation_return(
            actor=people.editor2, article_id=article.pk, language="kk", note=""
        )
    services.translation_return(
        actor=people.editor2, article_id=article.pk, language="kk", note="fix the second line"
    )
    version = _version(article, "kk")
    assert version.status == S.DRAFT
    revision = ArticleRevision.objects.get(translation=version, number=1)
    assert revision.review_note == "fix the second line"


def test_archive_withdraws_the_published_text(people: People) -> None:
    article = draft(people.editor)
    publish(article, "kk", people.editor, people.editor2)
    before = IndexChange.objects.count()
    services.translation_archive(
        actor=people.editor2, article_id=article.pk, language="kk", note="service abolished"
    )
    version = _version(article, "kk")
    assert version.status == S.ARCHIVED
    assert not version.is_live
    assert version.published_body == ""
    assert IndexChange.objects.count() == before + 1
    # a new draft may start again from the archive
    services.article_save(
        actor=people.editor,
        article_id=article.pk,
        data=ArticleInput(kind="how_to"),
        texts={"kk": TextInput(title="Қайта", body="<p>Жаңа мәтін.</p>")},
        comment="restored",
    )
    assert _version(article, "kk").status == S.DRAFT


def test_revision_diff_is_readable(people: People) -> None:
    article = draft(people.editor)
    services.article_save(
        actor=people.editor,
        article_id=article.pk,
        data=ArticleInput(kind="how_to"),
        texts={
            "ru": TextInput(
                title="Замена удостоверения личности",
                keywords=("удостоверение", "паспорт"),
                body="<p>Заменить удостоверение личности можно в ЦОН.</p><p>Срок — 15 дней.</p>",
            )
        },
        comment="term added",
    )
    revisions = selectors.revision_list(article_id=article.pk, language="ru")
    assert [revision.number for revision in revisions] == [2, 1]
    diff = selectors.revision_diff(revisions=revisions, old=1, new=2)
    assert not diff.unchanged
    assert [row.kind for row in diff.body] == ["equal", "added"]
    assert diff.body[1].new[0].text == "Срок — 15 дней."
    assert [row.kind for row in diff.keywords] == ["equal", "added"]
    assert [row.kind for row in diff.title] == ["equal"]
