"""Who may take a task at a queue step: the query the router runs and the same test in Python.

The database query (``candidates``) serves the task-centric path (a task arrives: find the
longest-idle eligible operator); ``eligible`` serves the operator-centric path (an operator
frees up: find the first waiting task they may take) without a query per task.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, F, OuterRef, QuerySet

from qoldau.routing.enums import LanguageMode, Presence, SkillMode, WorkChannel
from qoldau.routing.models import (
    Operator,
    OperatorLanguage,
    OperatorSkill,
    QueueMember,
    QueueStep,
    Reservation,
    Task,
)


@dataclass(frozen=True)
class StepRule:
    """A queue step reduced to what matching needs (steps are cached per queue)."""

    queue_id: int
    order: int
    skill_mode: str
    min_skill_level: int
    language_mode: str
    min_language_level: int
    members_only: bool
    timeout_seconds: int | None

    @classmethod
    def of(cls, step: QueueStep) -> StepRule:
        return cls(
            queue_id=step.queue_id,
            order=step.order,
            skill_mode=step.skill_mode,
            min_skill_level=step.min_skill_level,
            language_mode=step.language_mode,
            min_language_level=step.min_language_level,
            members_only=step.members_only,
            timeout_seconds=step.timeout_seconds,
        )


# A queue without steps offers to any free member who speaks the task's language.
DEFAULT_STEP = StepRule(0, 1, SkillMode.ANY, 1, LanguageMode.TASK, 1, True, None)


def candidates(task: Task, rule: StepRule) -> QuerySet[Operator]:
    """Free operators who satisfy ``rule`` for ``task``, longest idle first."""
    qs = Operator.objects.filter(presence=Presence.AVAILABLE, voice_busy=0)
    if task.channel != WorkChannel.VOICE:
        qs = qs.filter(text_busy__lt=F("text_capacity"))
    if rule.members_only and task.queue_id is not None:
        qs = qs.filter(
            Exists(QueueMember.objects.filter(operator=OuterRef("pk"), queue_id=task.queue_id))
        )
    attributes: Mapping[str, Any] = task.attributes or {}
    skill = str(attributes.get("skill") or "")
    if rule.skill_mode == SkillMode.SERVICE and skill:
        qs = qs.filter(
            Exists(
                OperatorSkill.objects.filter(
                    operator=OuterRef("pk"),
                    skill__code=skill,
                    level__gte=rule.min_skill_level,
                )
            )
        )
    language = str(attributes.get("language") or "")
    if rule.language_mode == LanguageMode.TASK and language:
        qs = qs.filter(
            Exists(
                OperatorLanguage.objects.filter(
                    operator=OuterRef("pk"),
                    language=language,
                    level__gte=rule.min_language_level,
                )
            )
        )
    # Who already declined or missed this task at this step is not asked again in it.
    qs = qs.exclude(
        Exists(Reservation.objects.filter(task=task, step=task.step, operator=OuterRef("pk")))
    )
    return qs.order_by("idle_since", "pk")


@dataclass(frozen=True)
class OperatorProfile:
    """An operator's competences, languages and queues, loaded once for the operator path."""

    operator_id: int
    skills: Mapping[str, int]
    languages: Mapping[str, int]
    queue_ids: frozenset[int]

    @classmethod
    def load(cls, operator: Operator) -> OperatorProfile:
        return cls(
            operator_id=operator.pk,
            skills=dict(
                OperatorSkill.objects.filter(operator=operator).values_list("skill__code", "level")
            ),
            languages=dict(
                OperatorLanguage.objects.filter(operator=operator).values_list("language", "level")
            ),
            queue_ids=frozenset(
                QueueMember.objects.filter(operator=operator).values_list("queue_id", flat=True)
            ),
        )


def eligible(profile: OperatorProfile, task: Task, rule: StepRule) -> bool:
    """``candidates`` for one operator, in Python (presence and capacity checked by the caller)."""
    if rule.members_only and task.queue_id is not None and task.queue_id not in profile.queue_ids:
        return False
    attributes: Mapping[str, Any] = task.attributes or {}
    skill = str(attributes.get("skill") or "")
    if (
        rule.skill_mode == SkillMode.SERVICE
        and skill
        and profile.skills.get(skill, 0) < rule.min_skill_level
    ):
        return False
    language = str(attributes.get("language") or "")
    return not (
        rule.language_mode == LanguageMode.TASK
        and language
        and profile.languages.get(language, 0) < rule.min_language_level
    )
