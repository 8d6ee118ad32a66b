"""Who may take a task at a queue step: the two queries the router runs.

``candidate_ids`` serves the task-centric path (a task arrives: find the longest-idle eligible
operator); ``first_waiting`` serves the operator-centric path (an operator frees up: find the
first waiting task they may take) in one query whatever the length of the queue. Both lock the
row they return and skip rows other transactions hold.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Exists, F, OuterRef, QuerySet

from qoldau.routing import rows
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


def candidate_query(task: Task, rule: StepRule, limit: int = 1) -> tuple[str, list[Any]]:
    """The SQL of ``candidates(task, rule)``'s first ``limit`` primary keys (column ``pk``),
    locking them and skipping operators another transaction holds: compiled once per shape
    (see above), for ``candidate_ids`` or for a statement that embeds it."""
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
        chosen = candidates(marked, rule).select_for_update(skip_locked=True, of=("self",))
        return chosen.values_list("pk", flat=True)[:limit]

    values = {_TASK: task.pk or 0, _QUEUE: task.queue_id, _STEP: task.step, _SKILL: skill}
    values[_LANGUAGE] = language
    required = [_TASK, _STEP, *([_QUEUE] if rule.members_only and task.queue_id else [])]
    return _run_compiled(key, build, values, required)


def candidate_ids(task: Task, rule: StepRule, limit: int = 1) -> list[int]:
    """The first ``limit`` of ``candidates(task, rule)``, by a query compiled once per shape.

    The rows come back locked, skipping operators another transaction holds: two calls that
    arrive together get two operators at once instead of one waiting for the other's commit
    and then trying the next in line (the caller's transaction keeps the locks)."""
    sql, params = candidate_query(task, rule, limit)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


@dataclass(frozen=True)
class Branch:
    """Which waiting tasks a step rule applies to: those of queue ``queue_id`` at one of
    ``steps``, or at any step but ``steps`` (``other_steps``); with ``queue_id`` None, tasks
    without a queue or in a queue not among ``other_queues``."""

    rule: StepRule
    queue_id: int | None = None
    steps: tuple[int, ...] = ()
    other_steps: bool = False
    other_queues: tuple[int, ...] = ()


_waiting_sql: dict[Hashable, str] = {}


def _attribute(key: str) -> str:
    """SQL for a task attribute as text, '' when missing (keys are constants of this module)."""
    if connection.vendor == "postgresql":
        return f"COALESCE(t.attributes ->> '{key}', '')"
    return f"COALESCE(json_extract(t.attributes, '$.{key}'), '')"


def _ints(values: Sequence[int]) -> str:
    return ", ".join(str(int(v)) for v in values) or "NULL"  # IN (NULL) holds for nothing


def _branch_sql(branch: Branch) -> str:
    rule = branch.rule
    where = ["1 = 1"]
    if branch.queue_id is None:
        if branch.other_queues:
            queues = _ints(branch.other_queues)
            where.append(f"(t.queue_id IS NULL OR t.queue_id NOT IN ({queues}))")
    else:
        where.append(f"t.queue_id = {int(branch.queue_id)}")
        steps = _ints(branch.steps)
        if not branch.other_steps:
            where.append(f"t.step IN ({steps})")
        elif branch.steps:
            where.append(f"t.step NOT IN ({steps})")
    if rule.members_only:
        where.append("(t.queue_id IS NULL OR qm.id IS NOT NULL)")
    if rule.skill_mode == SkillMode.SERVICE:
        level = int(rule.min_skill_level)
        where.append(f"({_attribute('skill')} = '' OR os.level >= {level})")
    if rule.language_mode == LanguageMode.TASK:
        level = int(rule.min_language_level)
        where.append(f"({_attribute('language')} = '' OR ol.level >= {level})")
    return "(" + " AND ".join(where) + ")"


def _waiting_query(branches: Sequence[Branch], voice_only: bool) -> str:
    """Waiting tasks the operator (the three parameters) may take, first by priority then age,
    with the operator's level in each task's competence and language and their membership of
    its queue joined once per task; their declined or missed offers at a task's current step
    are left out, as in ``candidates``. Locked, skipping tasks other transactions hold."""
    key = (connection.vendor, tuple(branches), voice_only)
    found = _waiting_sql.get(key)
    if found is not None:
        return found
    columns = ", ".join(f"t.{name}" for name in rows.TASK_COLUMNS)
    allowed = " OR ".join(_branch_sql(b) for b in branches) or "1 = 0"
    voice = f" AND t.channel = '{WorkChannel.VOICE.value}'" if voice_only else ""
    lock = " FOR UPDATE OF t SKIP LOCKED" if connection.features.has_select_for_update else ""
    sql = (
        f"SELECT {columns} FROM routing_task t "  # noqa: S608 (built from constants and ints)
        "LEFT JOIN routing_queuemember qm ON qm.queue_id = t.queue_id AND qm.operator_id = %s "
        f"LEFT JOIN routing_skill sk ON sk.code = {_attribute('skill')} "
        "LEFT JOIN routing_operatorskill os ON os.skill_id = sk.id AND os.operator_id = %s "
        f"LEFT JOIN routing_operatorlanguage ol ON ol.language = {_attribute('language')} "
        "AND ol.operator_id = %s "
        f"WHERE t.state = '{TaskState.PENDING.value}'{voice} AND NOT EXISTS (SELECT 1 FROM "
        "routing_reservation r WHERE r.task_id = t.id AND r.step = t.step AND r.operator_id = %s) "
        f"AND ({allowed}) ORDER BY t.priority DESC, t.created_at, t.id LIMIT 1{lock}"
    )
    if len(_waiting_sql) > 256:
        _waiting_sql.clear()
    _waiting_sql[key] = sql
    return sql


def first_waiting(operator_id: int, branches: Sequence[Branch], *, voice_only: bool) -> Task | None:
    """The first waiting task the operator may take (calls only if ``voice_only``), locked."""
    row = rows.fetch_one(_waiting_query(branches, voice_only), [operator_id] * 4)
    return rows.task_of(row) if row is not None else None
