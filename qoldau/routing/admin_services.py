"""Writes a supervisor makes: competences, languages, queue membership, trainings (R12, R18).

Each is one durable transaction with an audit record; the router's cached queue plans are
forgotten so the change applies to the next offer.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from qoldau.accounts.access import access_require_role
from qoldau.accounts.enums import Role
from qoldau.audit.services import audit_record
from qoldau.core import clock
from qoldau.core.errors import FieldError, NotFound, ValidationFailed
from qoldau.core.form_tokens import form_token_valid
from qoldau.registry.enums import OrganisationKind
from qoldau.registry.models import ByLaw, Organisation
from qoldau.routing.enums import SkillSource, TrainingResult
from qoldau.routing.expressions import RuleError, compile_rule
from qoldau.routing.models import (
    Operator,
    OperatorLanguage,
    OperatorSkill,
    Queue,
    QueueMember,
    Skill,
    Training,
    TrainingResultRow,
)
from qoldau.routing.services import operator_dispatch, queue_plans_forget

MANAGERS = (Role.SUPERVISOR, Role.UCC_ADMIN)
# Who holds trainings (Rules p.15, p.21): the contact center, the e-government infrastructure
# operator, state bodies and service providers.
TRAINER_KINDS = (
    OrganisationKind.UCC,
    OrganisationKind.ICI_OPERATOR,
    OrganisationKind.CENTRAL_STATE_BODY,
    OrganisationKind.LOCAL_EXECUTIVE_BODY,
    OrganisationKind.SERVICE_PROVIDER,
)


def _level(value: Any, field: str) -> int:
    try:
        level = int(value)
    except (TypeError, ValueError):
        level = 0
    if not 1 <= level <= 5:
        raise ValidationFailed(
            [FieldError(field, "level_range", _("The level is a whole number from 1 to 5."))]
        )
    return level


def _operator(operator_id: int) -> Operator:
    operator = Operator.objects.select_for_update().filter(pk=operator_id).first()
    if operator is None:
        raise NotFound("operator_not_found", _("No such operator."))
    return operator


def _offer_waiting_work(operator: Operator) -> None:
    """A new competence, language or queue may make waiting work the operator's: if they are
    free, the router offers it now rather than at their next call's end."""
    operator_dispatch(operator=operator)


def skill_grant(
    *,
    actor: Any,
    operator_id: int,
    skill_id: int,
    level: Any,
    source: str = SkillSource.MANUAL,
    check_role: bool = True,
) -> OperatorSkill:
    if check_role:
        access_require_role(actor, *MANAGERS)
    level = _level(level, "level")
    skill = Skill.objects.filter(pk=skill_id).first()
    if skill is None:
        raise ValidationFailed(
            [FieldError("skill", "skill_unknown", _("There is no such competence."))]
        )
    with transaction.atomic():
        operator = _operator(operator_id)
        row, _created = OperatorSkill.objects.update_or_create(
            operator=operator,
            skill=skill,
            defaults={"level": level, "source": source, "granted_at": clock.now()},
        )
        audit_record(
            actor=actor,
            action="routing.skill_grant",
            target=operator,
            changes={"skill": skill.code, "level": level, "source": source},
        )
        _offer_waiting_work(operator)
    return row


def skill_revoke(*, actor: Any, operator_id: int, skill_id: int) -> None:
    access_require_role(actor, *MANAGERS)
    with transaction.atomic(durable=True):
        operator = _operator(operator_id)
        deleted, _rows = OperatorSkill.objects.filter(operator=operator, skill_id=skill_id).delete()
        if deleted:
            audit_record(
                actor=actor,
                action="routing.skill_revoke",
                target=operator,
                changes={"skill": skill_id},
            )


def language_set(*, actor: Any, operator_id: int, language: str, level: Any) -> None:
    """Set (or with level 0, remove) a language the operator speaks."""
    access_require_role(actor, *MANAGERS)
    if language not in ("kk", "ru", "en"):
        raise ValidationFailed([FieldError("language", "language_unknown", _("Use kk, ru or en."))])
    with transaction.atomic(durable=True):
        operator = _operator(operator_id)
        if str(level) == "0":
            OperatorLanguage.objects.filter(operator=operator, language=language).delete()
        else:
            OperatorLanguage.objects.update_or_create(
                operator=operator, language=language, defaults={"level": _level(level, "level")}
            )
        audit_record(
            actor=actor,
            action="routing.language_set",
            target=operator,
            changes={"language": language, "level": str(level)},
        )
        _offer_waiting_work(operator)


def queue_member_set(*, actor: Any, queue_id: int, operator_id: int, member: bool) -> None:
    """A supervisor moves operators between queues (adds to or removes from one)."""
    access_require_role(actor, *MANAGERS)
    with transaction.atomic(durable=True):
        operator = _operator(operator_id)
        queue = Queue.objects.filter(pk=queue_id).first()
        if queue is None:
            raise NotFound("queue_not_found", _("No such queue."))
        if member:
            QueueMember.objects.get_or_create(
                queue=queue, operator=operator, defaults={"added_at": clock.now()}
            )
        else:
            QueueMember.objects.filter(queue=queue, operator=operator).delete()
        audit_record(
            actor=actor,
            action="routing.queue_member_add" if member else "routing.queue_member_remove",
            target=operator,
            changes={"queue": queue.code},
        )
        if member:
            _offer_waiting_work(operator)
    queue_plans_forget()


def queue_rule_check(text: str) -> str:
    """The rule as typed, or a field error saying where it is wrong."""
    try:
        compile_rule(text)
    except RuleError as exc:
        raise ValidationFailed(
            [
                FieldError(
                    "match",
                    "rule_invalid",
                    _("The rule is not valid: %(problem)s"),
                    problem=str(exc),
                )
            ]
        ) from exc
    return (text or "").strip()


def training_record(
    *,
    actor: Any,
    topic_kk: str,
    topic_ru: str,
    topic_en: str = "",
    trainer_id: int,
    held_on: dt.date,
    skill_id: int,
    skill_level: Any = 3,
    bylaw_id: int | None = None,
    is_retraining: bool = False,
    results: dict[int, str],
    submission: str | None = None,
) -> Training:
    """Record a training and its results; each participant who passed gets the competence.
    ``submission`` is the recording form's one-time token (see ``training_record_once``)."""
    access_require_role(actor, *MANAGERS)
    errors: list[FieldError] = []
    if not (topic_kk or "").strip():
        errors.append(FieldError("topic_kk", "required", _("Give the topic in Kazakh.")))
    if not (topic_ru or "").strip():
        errors.append(FieldError("topic_ru", "required", _("Give the topic in Russian.")))
    if held_on > clock.local_date():
        errors.append(
            FieldError("held_on", "future", _("A training is recorded after it is held."))
        )
    level = 3
    try:
        level = _level(skill_level, "skill_level")
    except ValidationFailed as exc:
        errors.extend(exc.errors)
    bad = [r for r in results.values() if r not in TrainingResult.values]
    known = Operator.objects.filter(pk__in=list(results)).count()
    if bad or not results or known != len(results):
        errors.append(
            FieldError("results", "results_invalid", _("Give each participant's result."))
        )
    errors.extend(_training_references(trainer_id, skill_id, bylaw_id))
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic(durable=True):
        training = Training.objects.create(
            topic_kk=topic_kk.strip()[:300],
            topic_ru=topic_ru.strip()[:300],
            topic_en=(topic_en or "").strip()[:300],
            bylaw_id=bylaw_id,
            trainer_id=trainer_id,
            held_on=held_on,
            skill_id=skill_id,
            skill_level=level,
            is_retraining=is_retraining,
            created_by=actor if getattr(actor, "pk", None) else None,
            submission=submission,
        )
        now = clock.now()
        for operator_id, result in results.items():
            operator = _operator(operator_id)
            TrainingResultRow.objects.create(
                training=training, operator=operator, result=result, recorded_at=now
            )
            if result == TrainingResult.PASSED:
                current = OperatorSkill.objects.filter(operator=operator, skill_id=skill_id).first()
                if (
                    current is None
                    or current.level < level
                    or current.source != SkillSource.TRAINING
                ):
                    skill_grant(
                        actor=actor,
                        operator_id=operator.pk,
                        skill_id=skill_id,
                        level=max(level, current.level if current else 0),
                        source=SkillSource.TRAINING,
                        check_role=False,
                    )
        audit_record(
            actor=actor,
            action="routing.training_record",
            target=training,
            changes={"participants": len(results), "skill": skill_id},
        )
    return training


def _training_references(trainer_id: int, skill_id: int, bylaw_id: int | None) -> list[FieldError]:
    """Errors for a trainer, competence or by-law that does not exist (a form from an old page,
    a crafted request): named as the form's fields, instead of a foreign key failing at commit."""
    errors: list[FieldError] = []
    if not Organisation.objects.filter(pk=trainer_id, kind__in=TRAINER_KINDS).exists():
        errors.append(FieldError("trainer", "trainer_unknown", _("Choose who trained.")))
    if not Skill.objects.filter(pk=skill_id).exists():
        errors.append(
            FieldError("skill", "skill_unknown", _("Choose the competence the training gives."))
        )
    if bylaw_id is not None and not ByLaw.objects.filter(pk=bylaw_id).exists():
        errors.append(FieldError("bylaw", "bylaw_unknown", _("No such by-law.")))
    return errors


def training_record_once(*, submission: str, **fields: Any) -> tuple[Training, bool]:
    """``training_record`` for a form sent with a one-time token: the same form sent twice
    records the training once (and grants nothing twice). Returns the training and whether
    this call recorded it. The token's unique index decides, also between two sendings at
    once: the later one's write fails, rolls back whole, and answers with the earlier one."""
    if not form_token_valid(submission):
        return training_record(**fields), True
    try:
        return training_record(**fields, submission=submission), True
    except IntegrityError:
        earlier = Training.objects.filter(submission=submission).first()
        if earlier is None:
            raise
        return earlier, False
