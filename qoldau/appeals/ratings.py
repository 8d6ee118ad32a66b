"""Ratings of written appeals (R13, p.13): a link in the applicant's language after closing,
a five-point score given once, and the figures per operator, service, channel and period."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Avg, Count, QuerySet
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from qoldau.appeals.enums import Channel
from qoldau.appeals.models import Appeal, AppealRating
from qoldau.appeals.notify import notification_queue
from qoldau.audit.services import audit_record
from qoldau.core import clock
from qoldau.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from qoldau.policy.selectors import policy_value

RATED_CHANNELS = frozenset({Channel.EMAIL, Channel.WEB, Channel.API, Channel.MESSENGER})


def rating_link_days() -> int:
    return int(getattr(settings, "APPEALS_RATING_LINK_DAYS", 30))


def rating_url(rating: AppealRating, language: str) -> str:
    base = str(getattr(settings, "QOLDAU_PUBLIC_URL", "") or "http://127.0.0.1:8000").rstrip("/")
    with translation.override(language):
        path = reverse("public_appeals:rate", args=[rating.token])
    return base + path


def appeal_rating_request(*, appeal: Appeal) -> AppealRating | None:
    """In the closing transaction: ask the applicant to rate (written channels with an e-mail;
    calls are rated on the keypad)."""
    if appeal.channel not in RATED_CHANNELS or not appeal.applicant_email:
        return None
    if AppealRating.objects.filter(appeal=appeal).exists():
        return None
    now = clock.now()
    rating = AppealRating.objects.create(
        appeal=appeal,
        token=secrets.token_urlsafe(32),
        operator=appeal.assigned_to,
        requested_at=now,
        expires_at=now + dt.timedelta(days=rating_link_days()),
    )
    notification_queue(
        appeal=appeal,
        code="rating_request",
        recipient=appeal.applicant_email,
        language=appeal.language,
        params={"url": rating_url(rating, appeal.language)},
        key_suffix="once",
    )
    return rating


def rating_get(*, token: str) -> AppealRating:
    rating = AppealRating.objects.select_related("appeal").filter(token=token).first()
    if rating is None:
        raise NotFound("rating_not_found", _("This rating link is not valid."))
    return rating


def appeal_rate(*, token: str, score: Any, comment: str = "") -> AppealRating:
    """The applicant's score (1 to the policy's scale) and comment; once per appeal."""
    rating = rating_get(token=token)
    scale = policy_value("rating_scale", clock.now()).as_int()
    try:
        value = int(str(score))
    except (TypeError, ValueError):
        value = 0
    errors: list[FieldError] = []
    if not 1 <= value <= scale:
        errors.append(
            FieldError(
                "score", "rating_out_of_range", _("Choose a score from 1 to %(max)s."), max=scale
            )
        )
    comment = (comment or "").strip()
    if len(comment) > 1000:
        errors.append(
            FieldError("comment", "too_long", _("Keep the comment under 1000 characters."))
        )
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic(durable=True):
        rating = AppealRating.objects.select_for_update().get(pk=rating.pk)
        if rating.rated_at is not None:
            raise Conflict("already_rated", _("This appeal is already rated. Thank you!"))
        if rating.expires_at < clock.now():
            raise Conflict("rating_expired", _("This rating link has expired."))
        rating.score = value
        rating.comment = comment
        rating.rated_at = clock.now()
        rating.save(update_fields=["score", "comment", "rated_at"])
        audit_record(
            actor=None, action="appeals.rated", target=rating.appeal, changes={"score": value}
        )
    return rating


@dataclass(frozen=True)
class RatingRow:
    key: str
    label: str
    count: int
    average: float


def appeal_rating_figures(*, start: dt.datetime, end: dt.datetime, by: str) -> list[RatingRow]:
    """Average score and count of ratings given in [start, end), by operator, service,
    channel or day."""
    rows: QuerySet[AppealRating] = AppealRating.objects.filter(
        rated_at__gte=start, rated_at__lt=end, score__isnull=False
    )
    field = {
        "operator": "operator__username",
        "service": "appeal__service__register_number",
        "channel": "appeal__channel",
    }.get(by)
    if field is None:
        raise ValueError(f"unknown grouping {by!r}")
    grouped = rows.values(field).annotate(n=Count("id"), avg=Avg("score")).order_by(field)
    return [
        RatingRow(
            key=str(row[field] or ""),
            label=str(row[field] or "—"),
            count=int(row["n"]),
            average=round(float(row["avg"] or 0), 2),
        )
        for row in grouped
    ]
