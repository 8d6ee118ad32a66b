"""Reads of appeals, scoped by ``accounts.access`` (R2): a partner organisation sees only the
appeals about its own services; the contact center and the authorized bodies see all."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from qoldau.accounts.access import access_organisation_ids
from qoldau.appeals.enums import Category, Channel, Status
from qoldau.appeals.models import AnswerTemplate, Appeal, AppealEvent, Handoff
from qoldau.appeals.transitions import AWAITING_REPLY, OPEN
from qoldau.core import clock
from qoldau.core.errors import FieldError, NotFound
from qoldau.core.identifiers import normalise_phone
from qoldau.core.models import OutboxMessage
from qoldau.core.outbox import outbox_for_related

NUMBER_RE = re.compile(r"\b\d{4}-\d{4}-\d{6}\b")


def appeal_scope(queryset: QuerySet[Appeal], actor: Any) -> QuerySet[Appeal]:
    allowed = access_organisation_ids(actor)
    if allowed is None:
        return queryset
    return queryset.filter(organisation__in=allowed)


def _list_base() -> QuerySet[Appeal]:
    return Appeal.objects.select_related("service", "region", "line", "assigned_to")


@dataclass
class AppealFilters:
    query: str = ""
    status: str = ""
    overdue: bool = False
    service: str = ""
    region: str = ""
    channel: str = ""
    category: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None


def appeal_list(*, actor: Any, filters: AppealFilters | None = None) -> QuerySet[Appeal]:
    """Find appeals by number, phone, IIN/BIN, e-mail (``query``), status, overdue, service,
    region, channel, category and registration date."""
    f = filters or AppealFilters()
    rows = appeal_scope(_list_base(), actor)
    query = f.query.strip()[:100]
    if query:
        digits = re.sub(r"\D", "", query)
        condition = Q(number=query) | Q(number__endswith=query)
        if "@" in query:
            condition |= Q(applicant_email=query.lower())
        if len(digits) == 12:
            condition |= Q(applicant_iin_bin=digits)
        if 10 <= len(digits) <= 11:
            with contextlib.suppress(FieldError):
                condition |= Q(applicant_phone=normalise_phone(query))
        rows = rows.filter(condition)
    if f.status:
        if f.status not in Status.values:
            raise FieldError("status", "invalid_choice", _("Choose one of the listed values."))
        rows = rows.filter(status=f.status)
    if f.overdue:
        rows = rows.filter(status__in=AWAITING_REPLY, due_at__lt=clock.now())
    if f.service:
        rows = rows.filter(
            Q(service__register_number=f.service) | Q(service__pk__in=_ints(f.service))
        )
    if f.region:
        rows = rows.filter(Q(region__kato=f.region) | Q(region__iso_code=f.region))
    if f.channel:
        if f.channel not in Channel.values:
            raise FieldError("channel", "invalid_choice", _("Choose one of the listed values."))
        rows = rows.filter(channel=f.channel)
    if f.category:
        if f.category not in Category.values:
            raise FieldError("category", "invalid_choice", _("Choose one of the listed values."))
        rows = rows.filter(category=f.category)
    if f.date_from:
        rows = rows.filter(registered_at__gte=clock.start_of_local_day(f.date_from))
    if f.date_to:
        rows = rows.filter(registered_at__lte=clock.end_of_local_day(f.date_to))
    return rows.order_by("-registered_at", "-pk")


def _ints(value: str) -> list[int]:
    return [int(value)] if value.isdigit() and len(value) < 12 else []


def appeal_queue(*, actor: Any, overdue_only: bool = False) -> QuerySet[Appeal]:
    """Supervisors' queue: open appeals, the most urgent first."""
    rows = appeal_scope(_list_base(), actor).filter(status__in=OPEN)
    if overdue_only:
        rows = rows.filter(due_at__lt=clock.now())
    return rows.order_by("due_at", "pk")


def appeal_get(*, actor: Any, number: str | None = None, appeal_id: int | None = None) -> Appeal:
    rows = appeal_scope(
        Appeal.objects.select_related(
            "service",
            "service__owner",
            "region",
            "line",
            "assigned_to",
            "registered_by",
            "organisation",
            "complaint_body",
            "merged_into",
        ).prefetch_related(
            Prefetch("events", queryset=AppealEvent.objects.order_by("at", "pk")),
            Prefetch(
                "handoffs", queryset=Handoff.objects.select_related("to_user", "organisation")
            ),
            "attachments",
            "links_out__to_appeal",
            "links_in__from_appeal",
        ),
        actor,
    )
    if number is not None:
        appeal = rows.filter(number=number.strip()).first()
    elif appeal_id is not None:
        appeal = rows.filter(pk=appeal_id).first()
    else:
        appeal = None
    if appeal is None:
        raise NotFound("appeal_not_found", _("No such appeal."))
    return appeal


def appeal_find_for_applicant(*, number: str, contact: str) -> Appeal | None:
    """The public status check: the number plus the e-mail or phone the applicant gave."""
    contact = (contact or "").strip()
    appeal = (
        Appeal.objects.filter(number=(number or "").strip())
        .prefetch_related(
            Prefetch("events", queryset=AppealEvent.objects.filter(public=True).order_by("at"))
        )
        .first()
    )
    if appeal is None or not contact:
        return None
    if "@" in contact:
        matches = bool(appeal.applicant_email) and appeal.applicant_email == contact.lower()
    else:
        try:
            matches = bool(appeal.applicant_phone) and (
                appeal.applicant_phone == normalise_phone(contact)
            )
        except FieldError:
            matches = False
    return appeal if matches else None


def appeal_find_by_number_in_text(text: str) -> Appeal | None:
    for found in NUMBER_RE.findall(text or ""):
        appeal = Appeal.objects.filter(number=found).first()
        if appeal is not None:
            return appeal
    return None


def appeal_outgoing(appeal: Appeal) -> list[OutboxMessage]:
    """The messages queued for the appeal with their delivery state (a failure shows here)."""
    return outbox_for_related(appeal)


def answer_template_list() -> QuerySet[AnswerTemplate]:
    return AnswerTemplate.objects.filter(is_active=True).order_by("code")


def answer_template_text(*, template_id: int, language: str) -> str:
    template = AnswerTemplate.objects.filter(pk=template_id, is_active=True).first()
    if template is None:
        raise NotFound("template_not_found", _("No such answer template."))
    return str(getattr(template, f"text_{language}", "") or template.text_kk)


@dataclass(frozen=True)
class CompetentBody:
    article_id: int
    title: str
    details: str


def competent_body_list(*, language: str) -> list[CompetentBody]:
    """The directory of competent bodies (R5, R11): the knowledge base's published articles of
    kind competent_body, in the applicant's language where there is one."""
    from qoldau.knowledge.selectors import article_list

    bodies: list[CompetentBody] = []
    for article in article_list(kind="competent_body")[:200]:
        versions = {t.language: t for t in article.translations.all() if t.published_title}
        chosen = versions.get(language) or versions.get("kk") or versions.get("ru")
        if chosen is not None:
            bodies.append(CompetentBody(article.pk, chosen.published_title, chosen.published_body))
    return bodies
