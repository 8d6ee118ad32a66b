"""Review when the law changes (R23, Rules p.26): flags on the articles of a service whose
by-law changed, due five working days after the change (the policy's ``bylaw_change_update``);
the safety-net sweep; resolving by publishing every language again or by a note.

Writes, like services.py: each use case is one transaction with its audit event. Raising flags
runs inside the caller's transaction (the registry's, through the ``registry.bylaw_changed``
event), so it never opens a durable one.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from qoldau.audit.services import audit_record
from qoldau.core import clock
from qoldau.core.errors import Conflict, NotFound
from qoldau.knowledge import cleaning
from qoldau.knowledge.actors import require_editor, user_id_of
from qoldau.knowledge.cleaning import Errors
from qoldau.knowledge.enums import FlagReason, FlagResolution
from qoldau.knowledge.models import Article, ArticleTranslation, ReviewFlag
from qoldau.policy.selectors import policy_due
from qoldau.registry import selectors as registry

BYLAW_REVIEW_RULE: Final = "bylaw_change_update"  # Rules p.26: five working days
SWEEP_LOOKBACK: Final = dt.timedelta(days=30)


def resolve_flags_after_publication(*, article_id: int, actor: Any, now: dt.datetime) -> list[int]:
    """Close the article's open flags once every published language has been republished since
    the flag was raised. Runs inside the publication's transaction."""
    flags = list(
        ReviewFlag.objects.select_for_update().filter(
            article_id=article_id, resolved_at__isnull=True
        )
    )
    if not flags:
        return []
    published = list(
        ArticleTranslation.objects.filter(
            article_id=article_id, published_revision_number__isnull=False
        ).values_list("published_at", flat=True)
    )
    resolved: list[int] = []
    for flag in flags:
        if published and all(at is not None and at >= flag.raised_at for at in published):
            flag.resolved_at = now
            flag.resolved_by_id = user_id_of(actor)
            flag.resolution = FlagResolution.PUBLISHED
            flag.save(update_fields=["resolved_at", "resolved_by", "resolution"])
            resolved.append(flag.pk)
    return resolved


def review_flags_raise(
    *,
    service_ids: list[int],
    amendment_id: int,
    occurred_at: dt.datetime,
    created_before: dt.datetime | None = None,
) -> list[ReviewFlag]:
    """Flag every article of these services for review because a by-law changed, due by the
    policy's p.26 rule (five working days). Articles already flagged for this amendment, and
    (with ``created_before``) articles written after the change, are left alone."""
    with transaction.atomic():
        articles = Article.objects.filter(service_id__in=list(service_ids)).exclude(
            review_flags__amendment_id=amendment_id
        )
        if created_before is not None:
            articles = articles.filter(created_at__lt=created_before)
        article_ids = list(articles.order_by("pk").values_list("pk", flat=True))
        if not article_ids:
            return []
        with translation.override("en"):
            due = policy_due(BYLAW_REVIEW_RULE, occurred_at)
        now = clock.now()
        flags = [
            ReviewFlag(
                article_id=article_id,
                reason=FlagReason.BYLAW_CHANGED,
                amendment_id=amendment_id,
                raised_at=now,
                occurred_at=occurred_at,
                due_at=due.due,
                rule_id=due.rule_id,
                citation=due.citation,
            )
            for article_id in article_ids
        ]
        ReviewFlag.objects.bulk_create(flags)
        audit_record(
            actor=None,
            action="knowledge.review_flags_raised",
            target=None,
            changes={
                "amendment_id": amendment_id,
                "service_ids": sorted(service_ids),
                "article_ids": article_ids,
                "due_at": due.due.isoformat(),
                "rule_id": due.rule_id,
            },
        )
    return flags


def knowledge_flag_unreviewed_changes(*, since: dt.datetime | None = None) -> int:
    """Safety net for R23 (a periodic task): flag the articles of by-law changes recorded since
    ``since`` (default: the last 30 days) that have no flag yet. Returns the flags raised."""
    since = since or clock.now() - SWEEP_LOOKBACK
    raised = 0
    for amendment in registry.amendment_list_recorded_since(since=since):
        service_ids = list(
            registry.service_list_for_bylaw(bylaw_id=amendment.bylaw_id).values_list(
                "pk", flat=True
            )
        )
        if not service_ids:
            continue
        raised += len(
            review_flags_raise(
                service_ids=service_ids,
                amendment_id=amendment.pk,
                occurred_at=amendment.recorded_at,
                created_before=amendment.recorded_at,
            )
        )
    return raised


def review_flag_resolve(*, actor: Any, flag_id: int, note: str) -> ReviewFlag:
    """An editor checked the article against the changed by-law and it stays as it is."""
    require_editor(actor)
    errors = Errors()
    why = cleaning.clean_comment(note, errors, name="note")
    errors.raise_if_any()
    with transaction.atomic(durable=True):
        flag = ReviewFlag.objects.select_for_update().filter(pk=flag_id).first()
        if flag is None:
            raise NotFound("not_found", _("No such review flag."))
        if flag.resolved_at is not None:
            raise Conflict("already_resolved", _("This flag is already resolved."))
        flag.resolved_at = clock.now()
        flag.resolved_by_id = user_id_of(actor)
        flag.resolution = FlagResolution.REVIEWED
        flag.resolution_note = why
        flag.save(update_fields=["resolved_at", "resolved_by", "resolution", "resolution_note"])
        audit_record(
            actor=actor,
            action="knowledge.review_flag_resolved",
            target=flag,
            changes={"article_id": flag.article_id, "note": why},
        )
    return flag
