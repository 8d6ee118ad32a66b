"""``knowledge_sync_service_cards``: service-card articles generated from the registry (R5, R4).

Each active public service gets a ``service_card`` article (external id ``service-<register
number>``) in Kazakh and Russian whose *generated section* — ``<section class="kb-generated">`` —
holds the Annex 1 fields: name, by-law, responsible body, internet resource and acceptance state.
A sync rewrites only that section and keeps what editors wrote around it; a changed section is
saved as a new draft revision, so a published card stays as it is until an editor publishes the
update.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from django.db import transaction
from django.utils import translation
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from qoldau.audit.services import audit_record
from qoldau.core import clock
from qoldau.core.errors import PermissionDenied
from qoldau.core.i18n import localized
from qoldau.knowledge.cleaning import CleanText
from qoldau.knowledge.content import sanitise_html, with_generated_section
from qoldau.knowledge.enums import ArticleKind, ArticleSource, IndexAction, TranslationStatus
from qoldau.knowledge.indexing import index_change_record
from qoldau.knowledge.models import Article, ArticleRevision, ArticleTranslation
from qoldau.knowledge.services import new_revision, publish_working_copy, require_editor
from qoldau.knowledge.transitions import NEW, translation_can
from qoldau.registry import selectors as registry
from qoldau.registry.models import PublicService

CARD_LANGUAGES: Final = ("kk", "ru")
SYNC_COMMENT: Final = "registry sync"


@dataclass
class SyncReport:
    services: int = 0
    articles_created: int = 0
    revisions_created: int = 0
    unchanged: int = 0


def card_external_id(service: PublicService) -> str:
    return f"service-{service.register_number}"


def _bylaw_text(service: PublicService, language: str) -> str:
    bylaw = service.bylaw
    if bylaw is None:
        return _("Not given")
    text = _("%(title)s, No. %(number)s of %(date)s") % {
        "title": localized(bylaw, "title", language),
        "number": bylaw.number,
        "date": bylaw.adopted_on.strftime("%d.%m.%Y"),
    }
    if bylaw.justice_registration_number:
        text += ". " + _("Registered with the Ministry of Justice under No. %(number)s") % {
            "number": bylaw.justice_registration_number
        }
    return text


def _acceptance_text(service: PublicService) -> str:
    text = str(service.get_acceptance_status_display())
    if service.consultation_from:
        text += ", " + _("from %(date)s") % {"date": service.consultation_from.strftime("%d.%m.%Y")}
    return text


def generated_section(service: PublicService, language: str) -> str:
    """The card's generated section in ``language``, sanitised (so comparisons are stable)."""
    with translation.override(language):
        link = (
            format_html('<a href="{}">{}</a>', service.info_url, service.info_url)
            if service.info_url
            else _("Not given")
        )
        rows: list[tuple[str, Any]] = [
            (_("Number in the register of public services"), service.register_number),
            (_("By-law that sets the procedure"), _bylaw_text(service, language)),
            (_("Responsible state body"), localized(service.owner, "name", language)),
            (_("Internet resource with information"), link),
            (_("Acceptance for consultation"), _acceptance_text(service)),
        ]
        html = format_html(
            '<section class="kb-generated"><h2>{}</h2><dl>{}</dl></section>',
            _("From the registry of public services"),
            format_html_join("", "<dt>{}</dt><dd>{}</dd>", rows),
        )
    return sanitise_html(str(html))


def _services(service_ids: Iterable[int] | None) -> list[PublicService]:
    services = registry.service_list(active_only=True)
    if service_ids is not None:
        services = services.filter(pk__in=list(service_ids))
    return list(services)


def knowledge_sync_service_cards(
    *, actor: Any = None, service_ids: Iterable[int] | None = None, publish: bool = False
) -> SyncReport:
    """Create or update the service cards of the registry's active services (all, or these).

    Changes are draft revisions for an editor to review; ``publish`` (the system only: the demo
    loader) publishes them at once, as an import marked published does."""
    require_editor(actor)
    if publish and actor is not None:
        raise PermissionDenied("forbidden", _lazy("Only the system publishes without a review."))
    report = SyncReport()
    now = clock.now()
    with transaction.atomic():
        services = _services(service_ids)
        report.services = len(services)
        published: set[int] = set()
        by_service = {
            article.service_id: article
            for article in Article.objects.select_for_update().filter(
                kind=ArticleKind.SERVICE_CARD, service_id__in=[s.pk for s in services]
            )
        }
        taken = set(
            Article.objects.filter(
                external_id__in=[card_external_id(s) for s in services]
            ).values_list("external_id", flat=True)
        )
        rows = {
            (row.article_id, row.language): row
            for row in ArticleTranslation.objects.select_for_update().filter(
                article_id__in=[a.pk for a in by_service.values()]
            )
        }
        for service in services:
            article = by_service.get(service.pk)
            if article is None:
                external_id = card_external_id(service)
                if external_id in taken:  # an article of another kind has the id: add a suffix
                    external_id = f"{external_id}-card"
                article = Article.objects.create(
                    external_id=external_id,
                    kind=ArticleKind.SERVICE_CARD,
                    service=service,
                    owner=service.owner,
                    source=ArticleSource.BYLAW,
                    source_reference=str(service.bylaw or "")[:1000],
                    is_public=False,
                )
                report.articles_created += 1
            for language in CARD_LANGUAGES:
                if _sync_language(
                    article, service, language, rows, report, actor=actor, now=now, publish=publish
                ):
                    published.add(article.pk)
        if published:
            index_change_record(action=IndexAction.ARTICLE, article_ids=published)
        audit_record(
            actor=actor,
            action="knowledge.service_cards_synced",
            target=None,
            changes={
                "services": report.services,
                "articles_created": report.articles_created,
                "revisions_created": report.revisions_created,
            },
        )
    return report


def _sync_language(
    article: Article,
    service: PublicService,
    language: str,
    rows: dict[tuple[int, str], ArticleTranslation],
    report: SyncReport,
    *,
    actor: Any,
    now: Any,
    publish: bool,
) -> bool:
    """Bring one language of a card up to date; True when a new revision was published."""
    section = generated_section(service, language)
    row = rows.get((article.pk, language))
    name = localized(service, "name", language)[:300]
    if row is None:
        row = ArticleTranslation(article=article, language=language)
        text = CleanText(title=name, keywords=(service.register_number,), body=section)
    else:
        body = with_generated_section(row.body, section)
        if body == row.body:
            report.unchanged += 1
            return False
        text = CleanText(title=row.title or name, keywords=tuple(row.keywords or ()), body=body)
    # The demo publishes new cards and updates of published ones; drafts stay drafts.
    publish = publish and (row.pk is None or row.is_live)
    action = "import_publish" if publish else "save"
    if not translation_can(action, row.status if row.pk else NEW):
        report.unchanged += 1
        return False
    previous = row.published_revision_number
    revision = new_revision(
        row, text, actor=actor, comment=SYNC_COMMENT, status=TranslationStatus.DRAFT, now=now
    )
    if publish:
        publish_working_copy(row, now)
        revision.status = TranslationStatus.PUBLISHED
        revision.published_at = now
    row.save()
    revision.translation = row
    revision.save()
    if publish and previous is not None:
        ArticleRevision.objects.filter(translation=row, number=previous).update(
            status=TranslationStatus.ARCHIVED
        )
    report.revisions_created += 1
    return publish
