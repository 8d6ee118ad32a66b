"""Cleaning of an appeal's input: every field checked, every error named, nothing stored.

All channels (operator form, public form, API, e-mail) go through ``clean_appeal_input`` so the
same rules hold everywhere; errors come back together as ``ValidationFailed``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from qoldau.appeals.enums import Category, Channel, ComplaintType, Language
from qoldau.appeals.models import Line
from qoldau.core import clock
from qoldau.core.errors import DomainError, FieldError, ValidationFailed
from qoldau.core.identifiers import normalise_iin_or_bin, normalise_phone
from qoldau.registry.models import Organisation, PublicService, Region
from qoldau.registry.selectors import region_get

CONTENT_MAX = 20_000
DEFAULT_ATTACHMENT_TYPES = (
    "application/pdf",
    "image/jpeg",
    "image/png",
    "text/plain",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
)


# The choices' values, fixed at import (``Choices.values`` builds a new list on every call).
_CHANNELS = frozenset(Channel.values)
_LANGUAGES = frozenset(Language.values)
_CATEGORIES = frozenset(Category.values)


class UploadedLike(Protocol):
    name: str | None
    size: int | None
    content_type: str | None

    def read(self, size: int = ...) -> bytes: ...


def attachment_max_bytes() -> int:
    return int(getattr(settings, "APPEALS_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024))


def attachment_max_count() -> int:
    return int(getattr(settings, "APPEALS_ATTACHMENT_MAX_COUNT", 10))


def attachment_types() -> tuple[str, ...]:
    return tuple(getattr(settings, "APPEALS_ATTACHMENT_TYPES", DEFAULT_ATTACHMENT_TYPES))


@dataclass
class AppealInput:
    channel: str
    content: str
    received_at: dt.datetime | None = None
    line: Line | None = None
    applicant_name: str = ""
    applicant_iin_bin: str = ""
    applicant_phone: str = ""
    applicant_email: str = ""
    region: Region | None = None
    language: str = Language.KK
    service: PublicService | None = None
    category: str = Category.CONSULTATION
    subject: str = ""
    complaint_type: str = ""
    non_compliance: str = ""
    complaint_body: Organisation | None = None
    official_name: str = ""
    motives: str = ""
    demands: str = ""
    attachments: list[UploadedLike] = field(default_factory=list)


def _text(value: Any, limit: int) -> str:
    return str(value or "").replace("\x00", "").strip()[:limit]


def _service(value: Any) -> PublicService | None:
    raw = str(value or "").strip()
    if not raw:
        return None
    found = PublicService.objects.filter(register_number=raw).select_related("owner").first()
    if found is None and raw.isdigit() and len(raw) < 12:
        found = PublicService.objects.filter(pk=int(raw)).select_related("owner").first()
    if found is None:
        raise FieldError("service", "unknown_service", _("There is no such public service."))
    return found


def _organisation(value: Any, field_name: str) -> Organisation | None:
    raw = str(value or "").strip()
    if not raw:
        return None
    found = None
    if raw.isdigit() and len(raw) < 12:
        found = Organisation.objects.filter(pk=int(raw)).first()
    elif raw.isdigit():
        found = Organisation.objects.filter(bin=raw).first()
    if found is None:
        raise FieldError(field_name, "unknown_organisation", _("There is no such organisation."))
    return found


def clean_appeal_input(data: dict[str, Any]) -> AppealInput:
    """Check ``data`` (plain values as a form or JSON gives them); raise ValidationFailed."""
    errors: list[FieldError] = []

    def check(name: str, func: Any, *args: Any) -> Any:
        try:
            return func(*args)
        except FieldError as exc:
            errors.append(exc)
        except DomainError as exc:
            errors.append(FieldError(name, exc.code, exc.message))
        return None

    channel = str(data.get("channel") or "")
    if channel not in _CHANNELS:
        errors.append(FieldError("channel", "invalid_choice", _("Choose one of the channels.")))
    content = _text(data.get("content"), CONTENT_MAX + 1)
    if not content:
        errors.append(FieldError("content", "required", _("Describe the question or request.")))
    elif len(content) > CONTENT_MAX:
        errors.append(
            FieldError(
                "content", "too_long", _("The text is too long (20,000 characters at most).")
            )
        )
    language = str(data.get("language") or Language.KK)
    if language not in _LANGUAGES:
        errors.append(FieldError("language", "invalid_choice", _("Choose kk, ru or en.")))
    category = str(data.get("category") or Category.CONSULTATION)
    if category not in _CATEGORIES:
        errors.append(FieldError("category", "invalid_choice", _("Choose one of the categories.")))
    iin_bin = str(data.get("iin_bin") or "").strip()
    if iin_bin:
        iin_bin = check("iin_bin", normalise_iin_or_bin, iin_bin, "iin_bin") or ""
    phone = str(data.get("phone") or "").strip()
    if phone:
        phone = check("phone", normalise_phone, phone, "phone") or ""
    email = _text(data.get("email"), 254).lower()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors.append(FieldError("email", "email_format", _("Enter a valid e-mail address.")))
    region = None
    if data.get("region"):
        try:
            region = region_get(code=str(data["region"]))
        except DomainError:
            errors.append(FieldError("region", "unknown_region", _("No region has this code.")))
    service = check("service", _service, data.get("service"))
    line = None
    if data.get("line"):
        line = Line.objects.filter(code=str(data["line"]), is_active=True).first()
        if line is None:
            errors.append(FieldError("line", "unknown_line", _("There is no such line.")))
    received_at = data.get("received_at")
    if received_at is not None and (
        not isinstance(received_at, dt.datetime) or received_at.tzinfo is None
    ):
        errors.append(
            FieldError("received_at", "invalid", _("Give a date and time with its time zone."))
        )
        received_at = None
    elif received_at is not None and received_at > clock.now() + dt.timedelta(minutes=5):
        errors.append(
            FieldError("received_at", "in_future", _("The time received cannot be in the future."))
        )
        received_at = None
    complaint_type = str(data.get("complaint_type") or "")
    result = AppealInput(
        channel=channel,
        content=content,
        received_at=received_at,
        line=line,
        applicant_name=_text(data.get("name"), 200),
        applicant_iin_bin=iin_bin,
        applicant_phone=phone,
        applicant_email=email,
        region=region,
        language=language,
        service=service,
        category=category,
        subject=_text(data.get("subject"), 300),
        complaint_type=complaint_type,
        non_compliance=_text(data.get("non_compliance"), CONTENT_MAX),
        official_name=_text(data.get("official_name"), 200),
        motives=_text(data.get("motives"), CONTENT_MAX),
        demands=_text(data.get("demands"), CONTENT_MAX),
    )
    if category == Category.COMPLAINT:
        errors += _complaint_errors(result, data)
    elif complaint_type:
        errors.append(
            FieldError(
                "complaint_type", "not_a_complaint", _("Only a complaint has a complaint type.")
            )
        )
    files = list(data.get("attachments") or [])
    errors += _attachment_errors(files)
    result.attachments = files
    if errors:
        raise ValidationFailed(errors)
    return result


def _complaint_errors(result: AppealInput, data: dict[str, Any]) -> list[FieldError]:
    """R14: a complaint on a procedure names the service and the non-compliance; one on officials
    names the body, the official, the motives and the demands."""
    errors: list[FieldError] = []
    required = _("This field is required for this type of complaint.")
    if result.complaint_type == ComplaintType.PROCEDURE:
        if result.service is None and not data.get("service"):
            errors.append(FieldError("service", "required", required))
        if not result.non_compliance:
            errors.append(FieldError("non_compliance", "required", required))
    elif result.complaint_type == ComplaintType.OFFICIALS:
        try:
            result.complaint_body = _organisation(data.get("complaint_body"), "complaint_body")
        except FieldError as exc:
            errors.append(exc)
        if result.complaint_body is None and not data.get("complaint_body"):
            errors.append(FieldError("complaint_body", "required", required))
        for name in ("official_name", "motives", "demands"):
            if not getattr(result, name):
                errors.append(FieldError(name, "required", required))
    else:
        errors.append(
            FieldError("complaint_type", "required", _("Choose the type of the complaint."))
        )
    return errors


def _attachment_errors(files: list[UploadedLike]) -> list[FieldError]:
    errors: list[FieldError] = []
    if len(files) > attachment_max_count():
        errors.append(
            FieldError(
                "attachments",
                "too_many",
                _("Too many files: %(limit)s at most."),
                limit=attachment_max_count(),
            )
        )
    for upload in files:
        if (upload.size or 0) > attachment_max_bytes():
            errors.append(
                FieldError(
                    "attachments",
                    "too_large",
                    _("The file %(name)s is larger than %(limit)s MB."),
                    name=upload.name or "",
                    limit=attachment_max_bytes() // (1024 * 1024),
                )
            )
        elif (upload.content_type or "").split(";")[0].strip() not in attachment_types():
            errors.append(
                FieldError(
                    "attachments",
                    "forbidden_type",
                    _("Files of this type are not accepted: %(name)s."),
                    name=upload.name or "",
                )
            )
    return errors
