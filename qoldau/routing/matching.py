"""Who may take a task at a queue step: the query the router runs and the same test in Python.

The database query ``candidates`` serves the task-centric path (a task arrives: find the
longest-idle eligible operator); ``waiting_tasks`` serves the operator-centric path (an operator
frees up: find the first waiting task they may take) in one query whatever the length of the
queue; ``eligible`` is the same test for one operator and one task in Python.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import CharField, Exists, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce

from qoldau.routing.enums import LanguageMode, Presence, SkillMode, TaskState, WorkChannel
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


def _fits(rule: StepRule) -> Q:
    """``eligible`` as a condition on waiting tasks annotated by ``waiting_tasks``."""
    fits = Q()
    if rule.members_only:
        fits &= Q(queue__isnull=True) | Q(routing_member=True)
    if rule.skill_mode == SkillMode.SERVICE:
        fits &= Q(routing_skill="") | Q(routing_skill_level__gte=rule.min_skill_level)
    if rule.language_mode == LanguageMode.TASK:
        fits &= Q(routing_language="") | Q(routing_language_level__gte=rule.min_language_level)
    return fits


def _text(key: str) -> Coalesce:
    """A task attribute as text, "" when missing (as ``str(attributes.get(key) or "")``)."""
    return Coalesce(Cast(KT(f"attributes__{key}"), output_field=CharField()), Value(""))


def waiting_tasks(operator_id: int, branches: Sequence[tuple[Q, StepRule]]) -> QuerySet[Task]:
    """Waiting tasks that the operator may take, first by priority then age: ``branches`` pair
    which tasks (a queue and step) with the rule that applies to them. The operator's level in
    each task's competence and language and their membership of its queue are looked up once
    per task, so the query stays small whatever the number of queues and steps. The operator's
    declined or missed offers at a task's current step are left out, as in ``candidates``."""
    allowed = Q(pk__in=[])
    for which, rule in branches:
        allowed |= which & _fits(rule)
    return (
        Task.objects.filter(state=TaskState.PENDING)
        .annotate(routing_skill=_text("skill"), routing_language=_text("language"))
        .annotate(
            routing_skill_level=Subquery(
                OperatorSkill.objects.filter(
                    operator_id=operator_id, skill__code=OuterRef("routing_skill")
                ).values("level")[:1]
            ),
            routing_language_level=Subquery(
                OperatorLanguage.objects.filter(
                    operator_id=operator_id, language=OuterRef("routing_language")
                ).values("level")[:1]
            ),
            routing_member=Exists(
                QueueMember.objects.filter(operator_id=operator_id, queue_id=OuterRef("queue_id"))
            ),
        )
        .filter(allowed)
        .exclude(
            Exists(
                Reservation.objects.filter(
                    task=OuterRef("pk"), step=OuterRef("step"), operator_id=operator_id
                )
            )
        )
        .order_by("-priority", "created_at", "pk")
    )


# --- compiled once ------------------------------------------------------------------------------
# Building these queries through the ORM costs more Python time than running them (the router's
# hot path runs one per event), and their shape depends only on the step rule and on which
# attributes a task has. So each shape is compiled once per process, with marker values where
# the task's and the operator's values go, and run with the values substituted.

# Markers inside each field's range (Django turns a lookup out of range into an empty result).
_OPERATOR = 9_141_400_000_000_000_101
_QUEUE = 9_141_400_000_000_000_102
_TASK = 9_141_400_000_000_000_103
_STEP = 32_014
_SKILL = "\x00routing-skill\x00"
_LANGUAGE = "\x00routing-language\x00"
_compiled: dict[Hashable, tuple[str, tuple[Any, ...]]] = {}


def _run_compiled(
    key: Hashable,
    build: Callable[[], QuerySet[Any]],
    values: Mapping[Any, Any],
    required: Sequence[Any],
) -> tuple[str, list[Any]]:
    key = (connection.vendor, key)
    found = _compiled.get(key)
    if found is None:
        if len(_compiled) > 512:
            _compiled.clear()
        sql, params = build().query.sql_with_params()
        missing = [marker for marker in required if marker not in params]
        if missing:  # the ORM folded a value away: running this SQL would ignore it
            raise RuntimeError(f"routing: a compiled query lost its parameters {missing}")
        found = _compiled[key] = (sql, tuple(params))
    sql, params = found
    return sql, [values.get(p, p) if isinstance(p, int | str) else p for p in params]


def candidate_ids(task: Task, rule: StepRule, limit: int = 5) -> list[int]:
    """The first ``limit`` of ``candidates(task, rule)``, by a query compiled once per shape."""
    attributes: Mapping[str, Any] = task.attributes or {}
    skill = str(attributes.get("skill") or "")
    language = str(attributes.get("language") or "")
    voice = task.channel == WorkChannel.VOICE
    key = ("candidates", rule, voice, task.queue_id is None, bool(skill), bool(language), limit)

    def build() -> QuerySet[Any]:
        marked = Task(
            pk=_TASK,
            channel=task.channel,
            queue_id=None if task.queue_id is None else _QUEUE,
            step=_STEP,
            attributes={
                "skill": _SKILL if skill else "",
                "language": _LANGUAGE if language else "",
            },
        )
        marked._state.adding = False  # a stored task, as far as the query is concerned
        return candidates(marked, rule).values_list("pk", flat=True)[:limit]

    values = {_TASK: task.pk, _QUEUE: task.queue_id, _STEP: task.step, _SKILL: skill}
    values[_LANGUAGE] = language
    required = [_TASK, _STEP, *([_QUEUE] if rule.members_only and task.queue_id else [])]
    sql, params = _run_compiled(key, build, values, required)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def first_waiting(
    operator_id: int,
    shape: Hashable,
    branches: Sequence[tuple[Q, StepRule]],
    *,
    voice_only: bool,
    limit: int = 5,
) -> list[Task]:
    """The first ``limit`` of ``waiting_tasks(operator_id, branches)`` (calls only if
    ``voice_only``), by a query compiled once per ``shape`` (what ``branches`` were made of)."""

    def build() -> QuerySet[Any]:
        waiting = waiting_tasks(_OPERATOR, branches)
        if voice_only:
            waiting = waiting.filter(channel=WorkChannel.VOICE)
        return waiting[:limit]

    key = ("waiting", shape, voice_only, limit)
    sql, params = _run_compiled(key, build, {_OPERATOR: operator_id}, [_OPERATOR])
    return list(Task.objects.raw(sql, params))
