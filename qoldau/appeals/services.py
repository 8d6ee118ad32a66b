"""Writes of appeals. One transaction per use case (durable on the outermost call), an event and
an audit record with every change, status only through ``transitions.py``."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from qoldau.accounts.access import access_require_role
from qoldau.accounts.enums import Role
from qoldau.appeals.deadlines import reply_rule_code
from qoldau.appeals.distribution import (
    appeal_distribute,
    appeal_distribution_done,
    appeal_distribution_transfer,
)
from qoldau.appeals.enums import Category, Channel, HandoffKind, LinkKind, Status
from qoldau.appeals.inputs import AppealInput, clean_appeal_input
from qoldau.appeals.models import (
    Appeal,
    AppealAttachment,
    AppealEvent,
    AppealLink,
    Handoff,
    IdempotencyKey,
)
from qoldau.appeals.notify import notification_queue
from qoldau.appeals.numbering import next_number
from qoldau.appeals.ratings import appeal_rating_request
from qoldau.appeals.transitions import AWAITING_REPLY, transition_target
from qoldau.audit.services import audit_record
from qoldau.core import clock
from qoldau.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from qoldau.policy.selectors import Due, policy_due
from qoldau.registry.models import Organisation

logger = logging.getLogger(__name__)
WORKER_ROLES = (Role.OPERATOR, Role.SUPERVISOR, Role.UCC_ADMIN)


# --- helpers -----------------------------------------------------------------------------------


def _user(actor: Any) -> Any:
    """The signed-in person behind ``actor`` (None for API keys and the system)."""
    if (
        actor is not None
        and getattr(actor, "is_authenticated", False)
        and hasattr(actor, "get_username")
    ):
        return actor
    return None


def _label(actor: Any) -> str:
    if actor is None:
        return "system"
    if not getattr(actor, "is_authenticated", False):
        return "anonymous"
    if hasattr(actor, "get_username"):
        return str(actor.get_username())
    prefix = getattr(actor, "prefix", None)
    return f"api-key:{prefix}" if prefix else "anonymous"


def appeal_event_add(
    *,
    appeal: Appeal,
    code: str,
    actor: Any = None,
    params: dict[str, Any] | None = None,
    public: bool = True,
) -> AppealEvent:
    return AppealEvent.objects.create(
        appeal=appeal,
        at=clock.now(),
        code=code,
        params=params or {},
        actor=_user(actor),
        actor_label=_label(actor),
        public=public,
    )


def _locked(appeal_id: int) -> Appeal:
    appeal = Appeal.objects.select_for_update().filter(pk=appeal_id).first()
    if appeal is None:
        raise NotFound("appeal_not_found", _("No such appeal."))
    return appeal


def _move(appeal: Appeal, *, action: str, actor: Any, extra_fields: list[str] | None = None) -> str:
    """Apply ``action`` from the transitions table; write status, event and audit record."""
    target = transition_target(action, appeal.status)
    if target is None:
        raise Conflict(
            "transition_not_allowed",
            _("This action is not allowed in the appeal's current status."),
            params={"action": action},
        )
    before = appeal.status
    appeal.status = target
    now = clock.now()
    fields = ["status", *(extra_fields or [])]
    if target == Status.ANSWERED:
        appeal.answered_at = now
        fields.append("answered_at")
    if target == Status.CLOSED:
        appeal.closed_at = now
        fields.append("closed_at")
    if action == "reopen":
        appeal.closed_at = None
        fields.append("closed_at")
    appeal.save(update_fields=fields)
    audit_record(
        actor=actor,
        action=f"appeals.{action}",
        target=appeal,
        changes={"status": [before, target]},
    )
    return before


def _durable() -> transaction.Atomic:
    return transaction.atomic(durable=True)


# --- registration ------------------------------------------------------------------------------


def appeal_register(*, actor: Any, data: dict[str, Any], acknowledge: bool = True) -> Appeal:
    """Register an appeal from raw input (any channel): validated, numbered, due, audited."""
    cleaned = clean_appeal_input(data)
    with _durable():
        return appeal_register_cleaned(actor=actor, cleaned=cleaned, acknowledge=acknowledge)


def appeal_register_cleaned(*, actor: Any, cleaned: AppealInput, acknowledge: bool) -> Appeal:
    """Register inside the caller's transaction (the API's idempotency, the mail handler)."""
    with transaction.atomic():
        now = clock.now()
        received_at = cleaned.received_at or now
        due: Due | None = None
        citation = ""
        try:
            with translation.override("en"):  # stored once; shown per reader via the rule id
                due = policy_due(reply_rule_code(cleaned.channel), received_at)
                citation = str(due.citation)
        except NotFound:
            # A missing rule is a configuration error; the appeal is still registered (never
            # lost), without a deadline, and the gap is logged and kept in its history.
            logger.error("appeals: no deadline rule in force for %s", received_at.isoformat())
        service = cleaned.service
        appeal = Appeal.objects.create(
            number=next_number(clock.local_date(now).year),
            channel=cleaned.channel,
            line=cleaned.line,
            received_at=received_at,
            registered_at=now,
            registered_by=_user(actor),
            applicant_name=cleaned.applicant_name,
            applicant_iin_bin=cleaned.applicant_iin_bin,
            applicant_phone=cleaned.applicant_phone,
            applicant_email=cleaned.applicant_email,
            region=cleaned.region,
            language=cleaned.language,
            service=service,
            organisation=service.owner if service is not None else cleaned.complaint_body,
            category=cleaned.category,
            subject=cleaned.subject,
            content=cleaned.content,
            complaint_type=cleaned.complaint_type,
            non_compliance=cleaned.non_compliance,
            complaint_body=cleaned.complaint_body,
            official_name=cleaned.official_name,
            motives=cleaned.motives,
            demands=cleaned.demands,
            due_at=due.due if due else None,
            due_rule_id=due.rule_id if due else None,
            due_citation=citation,
        )
        for upload in cleaned.attachments:
            attachment_add(appeal=appeal, upload=upload)
        appeal_event_add(
            appeal=appeal,
            code="registered",
            actor=actor,
            params={"channel": cleaned.channel, "due": due.due.isoformat() if due else ""},
        )
        if due is None:
            appeal_event_add(appeal=appeal, code="no_deadline_rule", public=False)
        audit_record(
            actor=actor,
            action="appeals.register",
            target=appeal,
            changes={"number": appeal.number, "channel": appeal.channel},
        )
        appeal_distribute(appeal)
        if acknowledge and appeal.applicant_email:
            appeal_acknowledge(appeal=appeal)
    return appeal


def appeal_acknowledge(*, appeal: Appeal, in_reply_to: str = "") -> None:
    """The acknowledgement with the number and the due date, in the applicant's language (R9)."""
    due = appeal.due_at.astimezone(clock.local_zone()) if appeal.due_at else None
    notification_queue(
        appeal=appeal,
        code="acknowledgement",
        recipient=appeal.applicant_email,
        language=appeal.language,
        params={"due": f"{due:%d.%m.%Y %H:%M}" if due else ""},
        key_suffix="first",
        in_reply_to=in_reply_to,
    )


def attachment_name(upload: Any) -> str:
    """The name an upload is stored under: its own, without a folder, at most 255 characters."""
    return str(getattr(upload, "name", "") or "file")[:255].rsplit("/", 1)[-1]


def attachment_add(*, appeal: Appeal, upload: Any, source: str = "") -> AppealAttachment:
    data = upload.read() if hasattr(upload, "read") else b""
    attachment = AppealAttachment(
        appeal=appeal,
        name=attachment_name(upload),
        content_type=str(getattr(upload, "content_type", "") or "application/octet-stream"),
        size=len(data) or int(getattr(upload, "size", 0) or 0),
        source=source,
        added_at=clock.now(),
    )
    if data:
        digest = hashlib.sha256(data).hexdigest()[:16]
        attachment.file.save(f"{digest}-{attachment.name}", ContentFile(data), save=False)
    attachment.save()
    return attachment


# --- working an appeal -------------------------------------------------------------------------


def appeal_take(*, actor: Any, appeal_id: int) -> Appeal:
    access_require_role(actor, *WORKER_ROLES)
    with _durable():
        appeal = _locked(appeal_id)
        appeal_take_in_transaction(appeal=appeal, actor=actor)
    return appeal


def appeal_take_in_transaction(*, appeal: Appeal, actor: Any, strict: bool = True) -> None:
    """Take a locked appeal into work (the desk's accepted offer comes here, not strict: an
    appeal already taken by hand stays as it is)."""
    if not strict and transition_target("take", appeal.status) is None:
        return
    appeal.assigned_to = actor
    appeal.assigned_group = ""
    _move(appeal, action="take", actor=actor, extra_fields=["assigned_to", "assigned_group"])
    appeal_event_add(appeal=appeal, code="taken", actor=actor, public=False)


def appeal_answer(*, actor: Any, appeal_id: int, text: str) -> Appeal:
    """Answer the applicant (from a template or typed); sent in the applicant's language."""
    access_require_role(actor, *WORKER_ROLES)
    text = (text or "").strip()
    if not text:
        raise ValidationFailed([FieldError("text", "required", _("Write the answer."))])
    with _durable():
        appeal = _locked(appeal_id)
        appeal.answer = text
        _move(appeal, action="answer", actor=actor, extra_fields=["answer"])
        appeal_distribution_done(appeal)
        appeal_event_add(appeal=appeal, code="answered", actor=actor)
        if appeal.applicant_email:
            notification_queue(
                appeal=appeal,
                code="answer",
                recipient=appeal.applicant_email,
                language=appeal.language,
                params={"text": text},
            )
    return appeal


def appeal_refer(
    *,
    actor: Any,
    appeal_id: int,
    body_name: str,
    body_details: str = "",
    article_id: int | None = None,
    note: str = "",
) -> Handoff:
    """R11: an out-of-scope question; the competent body's details are given to the applicant."""
    access_require_role(actor, *WORKER_ROLES)
    body_name = (body_name or "").strip()[:300]
    if not body_name:
        raise ValidationFailed(
            [FieldError("body_name", "required", _("Choose or name the competent body."))]
        )
    with _durable():
        appeal = _locked(appeal_id)
        _move(appeal, action="refer", actor=actor)
        appeal_distribution_done(appeal)
        handoff = Handoff.objects.create(
            appeal=appeal,
            kind=HandoffKind.REFERRAL,
            at=clock.now(),
            actor=_user(actor),
            body_name=body_name,
            body_details=(body_details or "").strip(),
            article_id=article_id,
            note=(note or "").strip(),
        )
        appeal_event_add(appeal=appeal, code="referred", actor=actor, params={"body": body_name})
        if appeal.applicant_email:
            notification_queue(
                appeal=appeal,
                code="referral",
                recipient=appeal.applicant_email,
                language=appeal.language,
                params={"body": body_name, "details": handoff.body_details},
                key_suffix=f"handoff-{handoff.pk}",
            )
    return handoff


def appeal_forward_complaint(
    *, actor: Any, appeal_id: int, organisation_id: int, note: str = ""
) -> Handoff:
    """R14: a complaint goes to the competent body (a record and a message through the outbox)."""
    access_require_role(actor, *WORKER_ROLES)
    body = Organisation.objects.filter(pk=organisation_id).first()
    if body is None:
        raise ValidationFailed(
            [
                FieldError(
                    "organisation", "unknown_organisation", _("There is no such organisation.")
                )
            ]
        )
    with _durable():
        appeal = _locked(appeal_id)
        if appeal.category != Category.COMPLAINT:
            raise Conflict("not_a_complaint", _("Only a complaint is forwarded to a body."))
        _move(appeal, action="forward", actor=actor)
        appeal_distribution_done(appeal)
        handoff = Handoff.objects.create(
            appeal=appeal,
            kind=HandoffKind.FORWARD,
            at=clock.now(),
            actor=_user(actor),
            organisation=body,
            body_name=body.name_ru,
            note=(note or "").strip(),
        )
        appeal_event_add(
            appeal=appeal, code="forwarded", actor=actor, params={"organisation": body.pk}
        )
        notification_queue(
            appeal=appeal,
            code="complaint_received",
            recipient=body.email,
            language="kk",
            params={"content": appeal.content},
            key_suffix=f"handoff-{handoff.pk}",
        )
        if appeal.applicant_email:
            notification_queue(
                appeal=appeal,
                code="complaint_forwarded",
                recipient=appeal.applicant_email,
                language=appeal.language,
                params={"body": body.name_kk if appeal.language == "kk" else body.name_ru},
                key_suffix=f"handoff-{handoff.pk}",
            )
    return handoff


def appeal_transfer(
    *, actor: Any, appeal_id: int, to_user: Any = None, to_group: str = "", note: str = ""
) -> Handoff:
    """R12: to another operator or group by competence, with a note; the applicant is told."""
    access_require_role(actor, *WORKER_ROLES)
    to_group = (to_group or "").strip()[:100]
    if to_user is None and not to_group:
        raise ValidationFailed(
            [FieldError("to_user", "required", _("Choose an operator or a group."))]
        )
    if to_user is not None and not to_user.has_role(*WORKER_ROLES):
        raise ValidationFailed(
            [FieldError("to_user", "not_an_operator", _("This person is not an operator."))]
        )
    with _durable():
        appeal = _locked(appeal_id)
        appeal.assigned_to = to_user
        appeal.assigned_group = to_group
        _move(
            appeal, action="transfer", actor=actor, extra_fields=["assigned_to", "assigned_group"]
        )
        appeal_distribution_transfer(appeal, to_user)
        handoff = Handoff.objects.create(
            appeal=appeal,
            kind=HandoffKind.TRANSFER,
            at=clock.now(),
            actor=_user(actor),
            to_user=to_user,
            to_group=to_group,
            note=(note or "").strip(),
        )
        appeal_event_add(
            appeal=appeal,
            code="transferred",
            actor=actor,
            params={"to": to_user.get_username() if to_user is not None else to_group},
        )
        if appeal.applicant_email:
            notification_queue(
                appeal=appeal,
                code="transfer",
                recipient=appeal.applicant_email,
                language=appeal.language,
                key_suffix=f"handoff-{handoff.pk}",
            )
    return handoff


def appeal_close(*, actor: Any, appeal_id: int, measures_taken: str) -> Appeal:
    access_require_role(actor, *WORKER_ROLES)
    measures_taken = (measures_taken or "").strip()
    if not measures_taken:
        raise ValidationFailed(
            [FieldError("measures_taken", "required", _("Describe the measures taken."))]
        )
    with _durable():
        appeal = _locked(appeal_id)
        appeal.measures_taken = measures_taken
        _move(appeal, action="close", actor=actor, extra_fields=["measures_taken"])
        appeal_distribution_done(appeal)
        appeal_event_add(appeal=appeal, code="closed", actor=actor)
        appeal_rating_request(appeal=appeal)
        if appeal.applicant_email and appeal.channel != Channel.PHONE:
            notification_queue(
                appeal=appeal,
                code="closed",
                recipient=appeal.applicant_email,
                language=appeal.language,
                params={"measures": measures_taken},
            )
    return appeal


def appeal_reopen(*, actor: Any, appeal_id: int, reason: str) -> Appeal:
    access_require_role(actor, *WORKER_ROLES)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed([FieldError("reason", "required", _("Say why it is reopened."))])
    with _durable():
        appeal = _locked(appeal_id)
        _move(appeal, action="reopen", actor=actor)
        appeal_event_add(
            appeal=appeal, code="reopened", actor=actor, params={"reason": reason}, public=False
        )
    return appeal


def appeal_link(*, actor: Any, appeal_id: int, other_number: str, kind: str) -> AppealLink:
    access_require_role(actor, *WORKER_ROLES)
    if kind not in LinkKind.values:
        raise ValidationFailed([FieldError("kind", "invalid_choice", _("Choose a kind."))])
    other = Appeal.objects.filter(number=(other_number or "").strip()).first()
    if other is None or other.pk == appeal_id:
        raise ValidationFailed(
            [
                FieldError(
                    "other_number",
                    "unknown_appeal",
                    _("There is no other appeal with this number."),
                )
            ]
        )
    with _durable():
        appeal = _locked(appeal_id)
        link, _created = AppealLink.objects.get_or_create(
            from_appeal=appeal, to_appeal=other, defaults={"kind": kind, "created_at": clock.now()}
        )
        appeal_event_add(
            appeal=appeal,
            code="linked",
            actor=actor,
            params={"number": other.number, "kind": kind},
            public=False,
        )
        audit_record(
            actor=actor, action="appeals.link", target=appeal, changes={"to": other.number}
        )
    return link


def appeal_merge(*, actor: Any, appeal_id: int, into_number: str) -> Appeal:
    """A duplicate joins its original: it is marked merged and linked; the original goes on."""
    access_require_role(actor, *WORKER_ROLES)
    target = Appeal.objects.filter(number=(into_number or "").strip()).first()
    if target is None or target.pk == appeal_id:
        raise ValidationFailed(
            [
                FieldError(
                    "into_number", "unknown_appeal", _("There is no other appeal with this number.")
                )
            ]
        )
    if target.status == Status.MERGED:
        raise ValidationFailed(
            [FieldError("into_number", "merged", _("That appeal is itself merged into another."))]
        )
    with _durable():
        appeal = _locked(appeal_id)
        appeal.merged_into = target
        _move(appeal, action="merge", actor=actor, extra_fields=["merged_into"])
        appeal_distribution_done(appeal)
        AppealLink.objects.get_or_create(
            from_appeal=appeal,
            to_appeal=target,
            defaults={"kind": LinkKind.DUPLICATE, "created_at": clock.now()},
        )
        appeal_event_add(
            appeal=appeal, code="merged", actor=actor, params={"number": target.number}
        )
        appeal_event_add(
            appeal=target,
            code="duplicate_joined",
            actor=actor,
            params={"number": appeal.number},
            public=False,
        )
    return appeal


def appeal_reveal_personal_data(*, actor: Any, appeal_id: int) -> Appeal:
    """Opening the applicant's personal data is an audited action (design rule 12, R2)."""
    access_require_role(actor, *WORKER_ROLES)
    with _durable():
        appeal = Appeal.objects.filter(pk=appeal_id).first()
        if appeal is None:
            raise NotFound("appeal_not_found", _("No such appeal."))
        audit_record(actor=actor, action="appeals.personal_data_viewed", target=appeal)
    return appeal


def appeal_record_status_inquiry(
    *, actor: Any, appeal_id: int, query: str, found: list[dict[str, str]]
) -> None:
    """R15: what the monitoring system said, kept in the appeal's history."""
    with _durable():
        appeal = _locked(appeal_id)
        appeal_event_add(
            appeal=appeal,
            code="status_inquiry",
            actor=actor,
            params={"query": query[:40], "found": found[:10]},
            public=False,
        )


# --- periodic ----------------------------------------------------------------------------------


def appeal_sweep_overdue(*, now: dt.datetime | None = None, batch: int = 500) -> int:
    """Flag appeals past their reply deadline once each and tell the supervisors (R32)."""
    moment = now or clock.now()
    notify_to = str(getattr(settings, "APPEALS_OVERDUE_NOTIFY_EMAIL", "") or "")
    flagged = 0
    with _durable():
        rows = list(
            Appeal.objects.select_for_update(skip_locked=True)
            .filter(status__in=AWAITING_REPLY, due_at__lt=moment, overdue_at__isnull=True)
            .order_by("due_at")[:batch]
        )
        for appeal in rows:
            if appeal.due_at is None:
                continue
            appeal.overdue_at = moment
            appeal.save(update_fields=["overdue_at"])
            appeal_event_add(
                appeal=appeal,
                code="overdue",
                params={"due": appeal.due_at.isoformat()},
                public=False,
            )
            audit_record(actor=None, action="appeals.overdue", target=appeal)
            due = appeal.due_at.astimezone(clock.local_zone())
            recipient = notify_to or (
                appeal.assigned_to.email if appeal.assigned_to is not None else ""
            )
            notification_queue(
                appeal=appeal,
                code="overdue",
                recipient=recipient,
                language="kk",
                params={"due": f"{due:%d.%m.%Y %H:%M}"},
                key_suffix="once",
            )
            flagged += 1
    return flagged


def idempotency_key_purge(*, now: dt.datetime | None = None) -> int:
    """Forget API idempotency keys older than the retention (at least 24 hours)."""
    hours = max(24, int(getattr(settings, "APPEALS_IDEMPOTENCY_KEY_HOURS", 48)))
    cutoff = (now or clock.now()) - dt.timedelta(hours=hours)
    with _durable():
        deleted, _rows = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
