"""Writes of the knowledge base: articles and their language versions through review to
publication (R5), review flags when a by-law changes (R23), synonyms and attachments.

``actor`` is the signed-in user doing the change, or None for the system itself (imports, the
service-card generator, the by-law event), which is not checked for permission. Each use case is
one transaction with its audit event; a change that the search must see adds an ``IndexChange``
row in the same transaction (``indexing.py``). Bad input raises ``ValidationFailed`` naming every
field, and nothing is written.

The import (``importing.py``), the service-card generator (``service_cards.py``), review flags
(``review_flags.py``) and attachments (``attachments.py``) are writes too, in their own modules
to keep this one readable; the names other apps and the schedule call are re-exported here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Final

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from qoldau.audit.services import audit_record
from qoldau.core import clock
from qoldau.core.errors import Conflict, NotFound, PermissionDenied
from qoldau.knowledge import cleaning
from qoldau.knowledge.actors import EDITOR_ROLES as EDITOR_ROLES
from qoldau.knowledge.actors import require_editor as require_editor
from qoldau.knowledge.actors import user_id_of as user_id_of
from qoldau.knowledge.attachments import attachment_add as attachment_add
from qoldau.knowledge.attachments import attachment_remove as attachment_remove
from qoldau.knowledge.cleaning import (
    ArticleInput,
    CleanText,
    Errors,
    TextInput,
    message_with,
)
from qoldau.knowledge.enums import (
    PUBLIC_BY_DEFAULT,
    IndexAction,
    TranslationStatus,
)
from qoldau.knowledge.indexing import LOG_KEEP, index_change_record
from qoldau.knowledge.models import (
    Article,
    ArticleRevision,
    ArticleTranslation,
    IndexChange,
    SynonymGroup,
)
from qoldau.knowledge.review_flags import (
    knowledge_flag_unreviewed_changes as knowledge_flag_unreviewed_changes,
)
from qoldau.knowledge.review_flags import (
    resolve_flags_after_publication as resolve_flags_after_publication,
)
from qoldau.knowledge.review_flags import review_flag_resolve as review_flag_resolve
from qoldau.knowledge.review_flags import review_flags_raise as review_flags_raise
from qoldau.knowledge.transitions import NEW, translation_can, translation_target
from qoldau.registry import selectors as registry

# Fields of an article the search filters on: a change re-indexes its published versions.
_FILTER_FIELDS: Final = ("kind", "service_id", "owner_id", "is_public")


def _not_found() -> NotFound:
    return NotFound("not_found", _("No such article."))


_REFUSED: Final = {
    "save": _("This version cannot be changed in its current state."),
    "submit": _("Only a draft can be submitted for review."),
    "approve": _("Only a version in review can be approved and published."),
    "return": _("Only a version in review can be returned to its author."),
    "archive": _("This version is already archived."),
}


def _status_conflict(action: str, status: str) -> Conflict:
    return Conflict(
        "invalid_transition",
        _REFUSED.get(action, _REFUSED["save"]),
        params={"action": action, "status": status},
    )


def _text_of(translation_row: ArticleTranslation | None) -> CleanText | None:
    if translation_row is None:
        return None
    return CleanText(
        title=translation_row.title,
        keywords=tuple(translation_row.keywords or ()),
        body=translation_row.body,
    )


def _locked_article(article_id: int) -> Article:
    article = Article.objects.select_for_update().filter(pk=article_id).first()
    if article is None:
        raise _not_found()
    return article


def _locked_translation(article_id: int, language: str) -> ArticleTranslation:
    row = (
        ArticleTranslation.objects.select_for_update()
        .filter(article_id=article_id, language=language)
        .first()
    )
    if row is None:
        raise NotFound("not_found", _("This article has no version in this language."))
    return row


def _current_revision(row: ArticleTranslation) -> ArticleRevision:
    revision = (
        ArticleRevision.objects.select_for_update()
        .filter(translation=row, number=row.revision_number)
        .first()
    )
    if revision is None:  # a version always has its revisions; the database was edited by hand
        raise Conflict("no_revision", _("This version has no saved revision."))
    return revision


def new_revision(
    row: ArticleTranslation,
    text: CleanText,
    *,
    actor: Any,
    comment: str,
    status: str,
    now: dt.datetime,
) -> ArticleRevision:
    """Set the working copy of ``row`` (not saved) and build its next revision (not saved)."""
    row.revision_number += 1
    row.title, row.keywords, row.body = text.title, list(text.keywords), text.body
    row.status = status
    return ArticleRevision(
        translation=row,
        number=row.revision_number,
        title=text.title,
        keywords=list(text.keywords),
        body=text.body,
        status=status,
        comment=comment,
        created_by_id=user_id_of(actor),
        created_at=now,
    )


def publish_working_copy(row: ArticleTranslation, now: dt.datetime) -> None:
    """Make the working copy the published one (not saved)."""
    row.status = TranslationStatus.PUBLISHED
    row.published_revision_number = row.revision_number
    row.published_title = row.title
    row.published_keywords = list(row.keywords or [])
    row.published_body = row.body
    row.published_at = now


TRANSLATION_FIELDS: Final = [
    "status",
    "title",
    "keywords",
    "body",
    "revision_number",
    "published_revision_number",
    "published_title",
    "published_keywords",
    "published_body",
    "published_at",
    "updated_at",
]


# --- articles ---------------------------------------------------------------------------------


def _check_references(
    cleaned: Mapping[str, Any], related_ids: tuple[int, ...] | None, self_id: int | None, e: Errors
) -> None:
    service_id = cleaned.get("service_id")
    if service_id is not None:
        try:
            registry.service_get(service_id=service_id)
        except NotFound:
            e.add("service", "not_found", _("No such public service."))
    owner_id = cleaned.get("owner_id")
    if owner_id is not None:
        try:
            registry.organisation_get(organisation_id=owner_id)
        except NotFound:
            e.add("owner", "not_found", _("No such organisation."))
    if related_ids:
        wanted = set(related_ids) - ({self_id} if self_id else set())
        found = set(Article.objects.filter(pk__in=wanted).values_list("pk", flat=True))
        if found != wanted:
            e.add("related", "not_found", _("Link only to articles that exist."))


def article_save(
    *,
    actor: Any,
    article_id: int | None,
    data: ArticleInput,
    texts: Mapping[str, TextInput],
    comment: str,
    external_id: str = "",
) -> Article:
    """Create an article or change it: its description, and each language whose text changed
    gets a new draft revision (a published version stays visible until the draft is published).
    """
    require_editor(actor)
    errors = Errors()
    cleaned = cleaning.clean_article(data, errors)
    clean_texts = {
        language: (cleaning.clean_text(language, text, errors), text.is_empty)
        for language, text in cleaning.text_inputs(texts).items()
    }
    why = cleaning.clean_comment(comment, errors)
    if article_id is None:
        external_id = cleaning.clean_external_id(external_id, errors)
        if external_id and Article.objects.filter(external_id=external_id).exists():
            errors.add("external_id", "taken", _("Another article has this identifier."))
    _check_references(cleaned, data.related_ids, article_id, errors)
    errors.raise_if_any()
    now = clock.now()
    with transaction.atomic(durable=True):
        if article_id is None:
            article = Article(
                external_id=external_id,
                created_by_id=user_id_of(actor),
                is_public=cleaned.get("is_public", cleaned["kind"] in PUBLIC_BY_DEFAULT),
            )
            before: dict[str, Any] = {}
        else:
            article = _locked_article(article_id)
            before = {name: getattr(article, name) for name in cleaned}
        changes = {
            name: [before.get(name), value]
            for name, value in cleaned.items()
            if before.get(name) != value or article_id is None
        }
        for name, value in cleaned.items():
            setattr(article, name, value)
        try:
            with transaction.atomic():
                article.save()
        except IntegrityError as exc:
            raise Conflict(
                "taken", _("Another article has this identifier."), field="external_id"
            ) from exc
        if data.related_ids is not None:
            wanted = sorted(set(data.related_ids) - {article.pk})
            if sorted(article.related.values_list("pk", flat=True)) != wanted:
                article.related.set(wanted)
                changes["related"] = wanted
        saved = _save_texts(article, clean_texts, actor=actor, comment=why, now=now)
        live = ArticleTranslation.objects.filter(
            article=article, published_revision_number__isnull=False
        ).exists()
        if live and any(name in changes for name in _FILTER_FIELDS):
            index_change_record(action=IndexAction.ARTICLE, article_ids=[article.pk])
        if changes or saved:
            audit_record(
                actor=actor,
                action="knowledge.article_created"
                if article_id is None
                else "knowledge.article_saved",
                target=article,
                changes={"article": changes, "revisions": saved, "comment": why},
            )
    return article


def _save_texts(
    article: Article,
    texts: Mapping[str, tuple[CleanText, bool]],
    *,
    actor: Any,
    comment: str,
    now: dt.datetime,
) -> dict[str, int]:
    """New draft revisions for the languages whose text changed: {language: revision number}."""
    existing = {
        row.language: row
        for row in ArticleTranslation.objects.select_for_update().filter(article=article)
    }
    saved: dict[str, int] = {}
    for language, (text, is_empty) in texts.items():
        row = existing.get(language)
        if row is None and is_empty:
            continue
        if row is not None and _text_of(row) == text:
            continue
        status = row.status if row is not None else NEW
        if not translation_can("save", status):
            raise _status_conflict("save", status)
        if row is None:
            row = ArticleTranslation(article=article, language=language)
        revision = new_revision(
            row, text, actor=actor, comment=comment, status=translation_target("save"), now=now
        )
        row.save()
        revision.translation = row
        revision.save()
        saved[language] = revision.number
    return saved


# --- the lifecycle of a language version -------------------------------------------------------


def _check_publishable(row: ArticleTranslation) -> None:
    errors = Errors()
    cleaning.check_publishable(row.language, _text_of(row), errors)
    errors.raise_if_any()


def translation_submit(*, actor: Any, article_id: int, language: str) -> ArticleTranslation:
    """Ask another editor to review the working copy."""
    require_editor(actor)
    with transaction.atomic(durable=True):
        row = _locked_translation(article_id, language)
        if not translation_can("submit", row.status):
            raise _status_conflict("submit", row.status)
        _check_publishable(row)
        revision = _current_revision(row)
        now = clock.now()
        row.status = revision.status = translation_target("submit")
        revision.submitted_at = now
        row.save(update_fields=["status", "updated_at"])
        revision.save(update_fields=["status", "submitted_at"])
        audit_record(
            actor=actor,
            action="knowledge.translation_submitted",
            target=row,
            changes={"language": language, "revision": revision.number},
        )
    return row


def translation_approve(
    *, actor: Any, article_id: int, language: str, note: str = ""
) -> ArticleTranslation:
    """A second editor approves the revision in review: it is published and searchable at once.
    Nobody approves their own revision."""
    require_editor(actor)
    note = cleaning.one_line(note)[: cleaning.COMMENT_MAX]
    with transaction.atomic(durable=True):
        row = _locked_translation(article_id, language)
        if not translation_can("approve", row.status):
            raise _status_conflict("approve", row.status)
        revision = _current_revision(row)
        reviewer = user_id_of(actor)
        if actor is not None and (reviewer is None or reviewer == revision.created_by_id):
            raise PermissionDenied(
                "self_approval",
                _("Another editor must approve this revision: you may not approve your own."),
            )
        _check_publishable(row)
        now = clock.now()
        previous = row.published_revision_number
        publish_working_copy(row, now)
        row.save(update_fields=TRANSLATION_FIELDS)
        if previous is not None and previous != revision.number:
            ArticleRevision.objects.filter(translation=row, number=previous).update(
                status=TranslationStatus.ARCHIVED
            )
        revision.status = TranslationStatus.PUBLISHED
        revision.reviewed_by_id = reviewer
        revision.reviewed_at = revision.published_at = now
        revision.review_note = note
        revision.save(
            update_fields=["status", "reviewed_by", "reviewed_at", "published_at", "review_note"]
        )
        index_change_record(action=IndexAction.ARTICLE, article_ids=[article_id])
        resolved = resolve_flags_after_publication(article_id=article_id, actor=actor, now=now)
        audit_record(
            actor=actor,
            action="knowledge.translation_published",
            target=row,
            changes={
                "language": language,
                "revision": revision.number,
                "replaced": previous,
                "note": note,
                "resolved_flags": resolved,
            },
        )
    return row


def translation_return(
    *, actor: Any, article_id: int, language: str, note: str
) -> ArticleTranslation:
    """Send a revision in review back to draft, saying what to change."""
    require_editor(actor)
    errors = Errors()
    why = cleaning.clean_comment(note, errors, name="note")
    errors.raise_if_any()
    with transaction.atomic(durable=True):
        row = _locked_translation(article_id, language)
        if not translation_can("return", row.status):
            raise _status_conflict("return", row.status)
        revision = _current_revision(row)
        now = clock.now()
        row.status = revision.status = translation_target("return")
        revision.reviewed_by_id = user_id_of(actor)
        revision.reviewed_at = now
        revision.review_note = why
        row.save(update_fields=["status", "updated_at"])
        revision.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])
        audit_record(
            actor=actor,
            action="knowledge.translation_returned",
            target=row,
            changes={"language": language, "revision": revision.number, "note": why},
        )
    return row


def translation_archive(
    *, actor: Any, article_id: int, language: str, note: str
) -> ArticleTranslation:
    """Withdraw a language version: operators and the public no longer see it."""
    require_editor(actor)
    errors = Errors()
    why = cleaning.clean_comment(note, errors, name="note")
    errors.raise_if_any()
    with transaction.atomic(durable=True):
        row = _locked_translation(article_id, language)
        if not translation_can("archive", row.status):
            raise _status_conflict("archive", row.status)
        was_live = row.is_live
        row.status = translation_target("archive")
        row.published_revision_number = None
        row.published_at = None
        row.published_title, row.published_keywords, row.published_body = "", [], ""
        row.save(update_fields=TRANSLATION_FIELDS)
        ArticleRevision.objects.filter(
            translation=row,
            status__in=[
                TranslationStatus.DRAFT,
                TranslationStatus.IN_REVIEW,
                TranslationStatus.PUBLISHED,
            ],
        ).update(status=TranslationStatus.ARCHIVED)
        if was_live:
            index_change_record(action=IndexAction.ARTICLE, article_ids=[article_id])
        audit_record(
            actor=actor,
            action="knowledge.translation_archived",
            target=row,
            changes={"language": language, "revision": row.revision_number, "note": why},
        )
    return row


# --- synonyms ------------------------------------------------------------------------------------


def synonym_group_save(
    *,
    actor: Any,
    group_id: int | None,
    terms: list[str],
    note: str = "",
    is_active: bool = True,
) -> SynonymGroup:
    """Create or change a group of equivalent words; every process's index picks it up."""
    require_editor(actor)
    errors = Errors()
    cleaned = cleaning.clean_synonyms(terms, errors)
    note = cleaning.one_line(note)
    if len(note) > 300:
        errors.add(
            "note", "too_long", message_with(_("Use at most %(limit)d characters."), limit=300)
        )
    errors.raise_if_any()
    with transaction.atomic():  # not durable: the admin calls it inside its own
        if group_id is None:
            group = SynonymGroup()
            before: dict[str, Any] = {}
        else:
            found = SynonymGroup.objects.select_for_update().filter(pk=group_id).first()
            if found is None:
                raise NotFound("not_found", _("No such synonym group."))
            group = found
            before = {"terms": group.terms, "note": group.note, "is_active": group.is_active}
        group.terms, group.note, group.is_active = cleaned, note, is_active
        after = {"terms": cleaned, "note": note, "is_active": is_active}
        if before == after:
            return group
        group.save()
        index_change_record(action=IndexAction.SYNONYMS)
        audit_record(
            actor=actor,
            action="knowledge.synonyms_saved",
            target=group,
            changes={"before": before, "after": after},
        )
    return group


def synonym_group_delete(*, actor: Any, group_id: int) -> None:
    require_editor(actor)
    with transaction.atomic():  # not durable: the admin calls it inside its own
        group = SynonymGroup.objects.select_for_update().filter(pk=group_id).first()
        if group is None:
            raise NotFound("not_found", _("No such synonym group."))
        audit_record(
            actor=actor,
            action="knowledge.synonyms_deleted",
            target=group,
            changes={"terms": group.terms},
        )
        group.delete()
        index_change_record(action=IndexAction.SYNONYMS)


# --- the search-index change log ----------------------------------------------------------------


def index_change_prune(*, keep: dt.timedelta = LOG_KEEP) -> int:
    """Delete log rows older than ``keep`` (a periodic task), always keeping the newest row so
    the log's highest id never goes back. A process that has not looked at the log for half of
    ``keep`` rebuilds its index instead of reading it (indexing.IndexManager)."""
    with transaction.atomic():
        newest = IndexChange.objects.order_by("-pk").values_list("pk", flat=True).first()
        if newest is None:
            return 0
        deleted, _by_model = (
            IndexChange.objects.filter(created_at__lt=clock.now() - keep)
            .exclude(pk=newest)
            .delete()
        )
    return deleted
