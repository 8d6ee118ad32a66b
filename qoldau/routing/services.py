"""Writes of work distribution: tasks in, reservations out (R12, R16).

The router is event-driven: a task that arrives is offered at once to the longest-idle eligible
operator (``task_submit``); an operator who frees up is offered the first waiting task they may
take (``operator_dispatch``); ``routing_tick`` (every second, ``qoldau router``) expires offers,
moves waiting tasks to their next step and ends wrap-ups.

Concurrency: an operator is claimed by a conditional UPDATE (still free? then busy), a task by
another (still waiting? then offered), and two partial unique indexes back both, so on
PostgreSQL and SQLite alike a task never goes to two operators and an operator never gets two
calls. Functions here run inside the caller's transaction unless they say otherwise.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from qoldau.core import clock, events
from qoldau.core.errors import Conflict, NotFound, PermissionDenied
from qoldau.routing import rows
from qoldau.routing.enums import Presence, ReservationState, TaskState, WorkChannel
from qoldau.routing.expressions import Predicate, RuleError, compile_rule
from qoldau.routing.matching import (
    DEFAULT_STEP,
    Branch,
    StepRule,
    candidate_ids,
    candidate_query,
    first_waiting,
)
from qoldau.routing.models import Operator, Queue, Reservation, Skill, Task
from qoldau.routing.transitions import presence_allowed

logger = logging.getLogger(__name__)
VOICE_CHANNELS = frozenset({WorkChannel.VOICE})
OPEN_STATES = (ReservationState.PENDING, ReservationState.ACCEPTED)


def wrap_up_seconds() -> int:
    return int(getattr(settings, "ROUTING_WRAP_UP_SECONDS", 10))


# --- queues (cached per process for a few seconds: a supervisor's change applies quickly) -----


@dataclass(frozen=True)
class QueuePlan:
    queue_id: int
    code: str
    channel: str
    offer_seconds: int
    rule: Predicate
    steps: tuple[StepRule, ...]

    def step(self, order: int) -> StepRule:
        for step in self.steps:
            if step.order == order:
                return step
        return self.steps[-1] if self.steps else DEFAULT_STEP

    def next_order(self, order: int) -> int | None:
        later = [s.order for s in self.steps if s.order > order]
        return min(later) if later else None


_plans: tuple[float, list[QueuePlan]] = (0.0, [])
PLAN_TTL_SECONDS = 5.0


def queue_plans(*, fresh: bool = False) -> list[QueuePlan]:
    global _plans
    loaded_at, plans = _plans
    if not fresh and time.monotonic() - loaded_at < PLAN_TTL_SECONDS:
        return plans
    plans = []
    for queue in Queue.objects.filter(is_active=True).prefetch_related("steps"):
        try:
            rule = compile_rule(queue.match)
        except RuleError:
            logger.error("routing: queue %s has an invalid rule; it takes no tasks", queue.code)
            continue
        steps = tuple(StepRule.of(s) for s in sorted(queue.steps.all(), key=lambda s: s.order))
        plans.append(
            QueuePlan(queue.pk, queue.code, queue.channel, queue.offer_seconds, rule, steps)
        )
    _plans = (time.monotonic(), plans)
    return plans


def queue_plans_forget() -> None:
    global _plans
    _plans = (0.0, [])


def _plan_of(queue_id: int | None) -> QueuePlan | None:
    for plan in queue_plans():
        if plan.queue_id == queue_id:
            return plan
    return None


def queue_for(channel: str, attributes: dict[str, Any]) -> QueuePlan | None:
    """The first active queue of the channel whose rule holds for the task."""
    kind = "voice" if channel == WorkChannel.VOICE else "text"
    facts = {"channel": channel, **attributes}
    for plan in queue_plans():
        if plan.channel in (kind, "any") and plan.rule(facts):
            return plan
    return None


# --- presence ---------------------------------------------------------------------------------


def _presence_write(
    operator: Operator, after: str, *, reason: str = "", also: Sequence[str] = ()
) -> None:
    """Change presence (and save the fields named in ``also`` in the same UPDATE)."""
    before = operator.presence
    if before == after:
        rows.operator_write(operator, also)
        return
    now = clock.now()
    operator.presence = after
    operator.presence_since = now
    fields = ["presence", "presence_since", *also]
    if after == Presence.AVAILABLE:
        operator.idle_since = now
        fields.append("idle_since")
    if after != Presence.WRAP_UP and operator.wrap_up_until is not None:
        operator.wrap_up_until = None
        fields.append("wrap_up_until")
    rows.presence_save(operator, fields, at=now, before=before, reason=reason)


def operator_ensure(*, user: Any) -> Operator:
    """The routing profile of ``user`` (created offline the first time)."""
    now = clock.now()
    operator, _created = Operator.objects.get_or_create(
        user=user, defaults={"presence_since": now, "idle_since": now}
    )
    return operator


def operator_set_presence(
    *, actor: Any, operator_id: int, presence: str, reason: str = ""
) -> Operator:
    """The operator (or a supervisor) changes presence; going available offers waiting work."""
    if presence not in Presence.values:
        raise Conflict("presence_unknown", _("There is no such presence state."))
    with transaction.atomic(durable=True):
        operator = Operator.objects.select_for_update().filter(pk=operator_id).first()
        if operator is None:
            raise NotFound("operator_not_found", _("No such operator."))
        own = getattr(actor, "pk", None) == operator.user_id
        if not own and not actor.has_role("supervisor", "ucc_admin"):
            raise PermissionDenied("forbidden", _("You do not have permission to do this."))
        if not presence_allowed(operator.presence, presence):
            raise Conflict(
                "presence_not_allowed",
                _("This change of presence is not allowed now."),
                params={"from": operator.presence, "to": presence},
            )
        _presence_write(operator, presence, reason=reason or ("self" if own else "supervisor"))
        if presence == Presence.AVAILABLE:
            operator_dispatch(operator=operator)
    return operator


# --- tasks ------------------------------------------------------------------------------------


def _skill_code(attributes: dict[str, Any]) -> str:
    if attributes.get("skill"):
        return str(attributes["skill"])
    service = str(attributes.get("service") or "")
    if not service:
        return ""
    code = (
        Skill.objects.filter(service__register_number=service)
        .values_list("code", flat=True)
        .first()
    )
    return code or ""


def task_submit(
    *,
    channel: str,
    ref: str,
    attributes: dict[str, Any],
    priority: int = 0,
    offer: bool = True,
) -> Task:
    """Put work in its queue and offer it at once (idempotent by channel and reference).

    ``offer=False`` records work that someone else distributes (a PBX with its own queues):
    the caller assigns it with ``task_assign`` when the PBX says who answered."""
    attributes = {k: v for k, v in attributes.items() if v not in ("", None)}
    attributes["skill"] = _skill_code(attributes)
    now = clock.now()
    with transaction.atomic(savepoint=False):
        plan = queue_for(channel, attributes)
        draft = Task(
            channel=channel,
            ref=ref,
            attributes=attributes,
            queue_id=plan.queue_id if plan else None,
            step=plan.steps[0].order if plan and plan.steps else 1,
            step_started_at=now,
            state=TaskState.PENDING,
            priority=priority,
            created_at=now,
        )
        if offer and channel == WorkChannel.VOICE and connection.vendor == "postgresql":
            # A call, on PostgreSQL: one statement finds (and locks) the longest-idle eligible
            # operator, claims them and stores the call offered to them, or waiting when
            # nobody is free; one round trip per call (ADR 0010).
            expires = now + dt.timedelta(seconds=plan.offer_seconds if plan else 15)
            matched = candidate_query(draft, _step_rule(draft, plan))  # draft.pk None: no offers
            task, reservation = rows.task_insert_matched(
                draft, candidates=matched, expires_at=expires
            )
            if task is None:
                return Task.objects.get(channel=channel, ref=ref)
            if reservation is not None:
                events.publish("routing.offered", reservation=reservation, task=task)
            return task
        # The insert is the check: a second submit of the same reference inserts nothing and
        # gets the existing task (one query less on the usual path).
        task = rows.task_insert(draft)
        if task is None:
            return Task.objects.get(channel=channel, ref=ref)
        if offer:
            task_dispatch(task=task)
    return task


_release_operator = rows.operator_release


def _release_locked(operator: Operator, channel: str) -> list[str]:
    """``_release_operator`` on a row this transaction has locked; the caller saves the field."""
    field = "voice_busy" if channel == WorkChannel.VOICE else "text_busy"
    busy: int = getattr(operator, field)
    if busy <= 0:
        return []
    setattr(operator, field, busy - 1)
    return [field]


def _reserve(task: Task, operator_id: int, plan: QueuePlan | None) -> Reservation | None:
    """Offer ``task`` to the operator if both are still free; None if either was taken."""
    now = clock.now()
    offer = plan.offer_seconds if plan else 15
    reservation = rows.offer_make(
        task=task,
        operator_id=operator_id,
        step=task.step,
        offered_at=now,
        expires_at=now + dt.timedelta(seconds=offer),
    )
    if reservation is None:
        return None
    task.state = TaskState.RESERVED
    events.publish("routing.offered", reservation=reservation, task=task)
    return reservation


def _step_rule(task: Task, plan: QueuePlan | None) -> StepRule:
    """The rule the task's current step applies; work outside any queue goes to anyone free
    who speaks its language."""
    if plan is None:
        return StepRule(0, task.step, "any", 1, "task", 1, False, None)
    return plan.step(task.step)


def task_dispatch(*, task: Task) -> Reservation | None:
    """Offer a waiting task to the longest-idle operator its current step allows."""
    if task.state != TaskState.PENDING:
        return None
    plan = _plan_of(task.queue_id)
    rule = _step_rule(task, plan)
    for _attempt in range(3):
        found = candidate_ids(task, rule)
        if not found:
            return None
        reservation = _reserve(task, found[0], plan)
        if reservation is not None:
            return reservation
        if not rows.task_waits(task.pk):
            return None  # offered elsewhere meanwhile
    return None


def _branches(plans: list[QueuePlan]) -> tuple[Branch, ...]:
    """Which waiting tasks each step rule applies to (as ``QueuePlan.step`` picks it)."""
    out: list[Branch] = []
    for plan in plans:
        orders = tuple(step.order for step in plan.steps)
        for step in plan.steps:
            out.append(Branch(step, plan.queue_id, (step.order,)))
        last = plan.steps[-1] if plan.steps else DEFAULT_STEP
        out.append(Branch(last, plan.queue_id, orders, other_steps=True))
    out.append(Branch(DEFAULT_STEP, other_queues=tuple(p.queue_id for p in plans)))
    return tuple(out)


def operator_dispatch(*, operator: Operator) -> Reservation | None:
    """Offer the first waiting task (priority, then age) that a freed operator may take."""
    if operator.presence != Presence.AVAILABLE or operator.voice_busy:
        return None
    # One query finds the task, whatever the length of the queue (matching.first_waiting).
    branches = _branches(queue_plans())
    for _attempt in range(3):
        task = first_waiting(
            operator.pk, branches, voice_only=operator.text_busy >= operator.text_capacity
        )
        if task is None:
            return None
        reservation = _reserve(task, operator.pk, _plan_of(task.queue_id))
        if reservation is not None:
            return reservation
        if not rows.operator_is_free_for_call(operator.pk):
            return None  # the operator was taken meanwhile
    return None


def _task(channel: str, ref: str) -> Task | None:
    return Task.objects.select_for_update().filter(channel=channel, ref=ref).first()


def _open_reservation(task: Task) -> Reservation | None:
    return (
        Reservation.objects.select_for_update()
        .filter(task=task, state__in=OPEN_STATES)
        .select_related("operator")
        .first()
    )


def _finish_reservation(reservation: Reservation, state: str) -> None:
    reservation.state = state
    reservation.responded_at = clock.now()
    rows.reservation_close(reservation.pk, state, reservation.responded_at)


def task_assign(*, channel: str, ref: str, operator: Operator) -> Task | None:
    """The work is now with ``operator``: an accepted offer, or the PBX says they answered.

    Where the PBX picked someone else than the router offered, the PBX is right: the offer is
    released and the answering operator takes the task."""
    with transaction.atomic(savepoint=False):
        accepted = _accept_own_offer(channel, ref, operator)
        if accepted is not None:
            return accepted
        task = _task(channel, ref)
        if task is None or task.state in (TaskState.COMPLETED, TaskState.CANCELED):
            return task
        current = _open_reservation(task)
        locked: Operator | None = None
        withdrawn: Task | None = None
        if current is not None and current.operator_id == operator.pk:
            if current.state == ReservationState.ACCEPTED:
                return task
            _finish_reservation(current, ReservationState.ACCEPTED)
            locked = current.operator  # locked with the reservation
        else:
            room = _make_room_for_call(operator) if channel == WorkChannel.VOICE else True
            if room is False:
                # The PBX reports an answer by someone already talking on another call (a
                # stale or wrong event): keep the task as it is rather than count two calls.
                logger.warning("routing: %s answered by an operator already on a call", ref)
                return task
            if isinstance(room, Task):
                withdrawn = room
            if current is not None:
                _finish_reservation(current, ReservationState.CANCELED)
                _release_operator(current.operator_id, current.channel)
            now = clock.now()
            counter = "voice_busy" if channel == WorkChannel.VOICE else "text_busy"
            Operator.objects.filter(pk=operator.pk).update(**{counter: F(counter) + 1})
            Reservation.objects.create(
                task=task,
                operator=operator,
                channel=channel,
                state=ReservationState.ACCEPTED,
                step=task.step,
                offered_at=now,
                expires_at=now,
                responded_at=now,
            )
        task.state = TaskState.ASSIGNED
        task.assigned_to = operator
        task.assigned_at = clock.now()
        task.save(update_fields=["state", "assigned_to", "assigned_at"])
        if channel == WorkChannel.VOICE:
            locked = locked or Operator.objects.select_for_update().get(pk=operator.pk)
            if presence_allowed(locked.presence, Presence.ON_CALL, by_system=True):
                _presence_write(locked, Presence.ON_CALL, reason="call")
        if withdrawn is not None:
            task_dispatch(task=withdrawn)  # to someone else: this operator is busy now
    return task


def _accept_own_offer(channel: str, ref: str, operator: Operator) -> Task | None:
    """The usual answer: the operator takes the offer the router made them. Done in a few plain
    statements (the router's hot path); None when the case is any other, for the general path."""
    offer = rows.offer_of(channel, ref)
    if offer is None:
        return None
    task_id, task_state, reservation_id, reservation_state, offered_to = offer
    if (
        offered_to.pk != operator.pk
        or reservation_state != ReservationState.PENDING
        or task_state != TaskState.RESERVED
    ):
        return None
    task = rows.offer_accepted(task_id, reservation_id, operator.pk, clock.now())
    if task is None:
        return None
    if channel == WorkChannel.VOICE and presence_allowed(
        offered_to.presence, Presence.ON_CALL, by_system=True
    ):
        _presence_write(offered_to, Presence.ON_CALL, reason="call")  # locked by offer_of
    return task


def _make_room_for_call(operator: Operator) -> bool | Task:
    """Before the PBX's answer is recorded: an offer of another call to the same operator is
    withdrawn (they are talking on this one); that call is returned, to be offered anew once
    the answer is recorded. False when the operator already holds an accepted call."""
    other = (
        Reservation.objects.select_for_update()
        .select_related("task")
        .filter(operator=operator, channel=WorkChannel.VOICE, state__in=OPEN_STATES)
        .first()
    )
    if other is None:
        return True
    if other.state == ReservationState.ACCEPTED:
        return False
    _finish_reservation(other, ReservationState.CANCELED)
    _release_operator(other.operator_id, other.channel)
    Task.objects.filter(pk=other.task_id, state=TaskState.RESERVED).update(state=TaskState.PENDING)
    other.task.refresh_from_db(fields=["state"])
    events.publish(
        "routing.declined", reservation=other, task=other.task, state=ReservationState.CANCELED
    )
    return other.task


def reservation_accept(*, actor: Any, reservation_id: int) -> Reservation:
    """The operator accepts an offer (in the browser); the PBX is told to connect the call."""
    with transaction.atomic(durable=True):
        reservation = _own_pending(actor, reservation_id)
        task = task_assign(
            channel=reservation.channel, ref=reservation.task.ref, operator=reservation.operator
        )
        reservation.refresh_from_db(fields=["state", "responded_at"])
        events.publish("routing.accepted", reservation=reservation, task=task)
    return reservation


def _own_pending(actor: Any, reservation_id: int) -> Reservation:
    reservation = (
        Reservation.objects.select_for_update()
        .select_related("task", "operator")
        .filter(pk=reservation_id)
        .first()
    )
    if reservation is None or reservation.operator.user_id != getattr(actor, "pk", None):
        raise NotFound("reservation_not_found", _("There is no such offer for you."))
    if reservation.state != ReservationState.PENDING:
        raise Conflict("reservation_closed", _("This offer is no longer open."))
    return reservation


def reservation_reject(*, actor: Any, reservation_id: int) -> Reservation:
    """The operator declines; the task goes to the next eligible operator at once."""
    with transaction.atomic(durable=True):
        reservation = _own_pending(actor, reservation_id)
        _decline(reservation, ReservationState.REJECTED)
    return reservation


def _decline(reservation: Reservation, state: str) -> None:
    _finish_reservation(reservation, state)
    _release_operator(reservation.operator_id, reservation.channel)
    task = reservation.task
    Task.objects.filter(pk=task.pk, state=TaskState.RESERVED).update(state=TaskState.PENDING)
    task.refresh_from_db(fields=["state"])
    if state == ReservationState.TIMED_OUT and reservation.channel == WorkChannel.VOICE:
        # A phone that rings unanswered is not there: stop offering calls to it (TaskRouter's
        # timeout activity). The operator comes back by choosing "available".
        operator = Operator.objects.select_for_update().get(pk=reservation.operator_id)
        if presence_allowed(operator.presence, Presence.BREAK, by_system=True):
            _presence_write(operator, Presence.BREAK, reason="missed_offer")
    events.publish("routing.declined", reservation=reservation, task=task, state=state)
    task_dispatch(task=task)


def task_finish(*, channel: str, ref: str, canceled: bool = False) -> Task | None:
    """The work is done (a call ended, an appeal closed) or gone (the caller hung up)."""
    now = clock.now()
    with transaction.atomic(savepoint=False):
        # A conditional UPDATE finds, locks and ends the task, then its offer is closed (an
        # ended task is left as it is: a repeated event changes nothing).
        ended = rows.task_end_closing_offer(
            channel=channel,
            ref=ref,
            state=TaskState.CANCELED if canceled else TaskState.COMPLETED,
            now=now,
        )
        if ended is None:
            return Task.objects.filter(channel=channel, ref=ref).first()
        task, current = ended
        freed: Operator | None = None
        if current is not None:
            reservation_channel, accepted, freed = current
            # Locked after the task and its reservation, in that order like every writer here:
            # release, presence and wrap-up go in one UPDATE.
            if freed is None:
                return task
            released = _release_locked(freed, reservation_channel)
            on_call = freed.presence == Presence.ON_CALL
            if accepted and reservation_channel == WorkChannel.VOICE and on_call:
                wrap_up = wrap_up_seconds()
                if wrap_up > 0:
                    freed.wrap_up_until = clock.now() + dt.timedelta(seconds=wrap_up)
                    _presence_write(
                        freed,
                        Presence.WRAP_UP,
                        reason="call_ended",
                        also=[*released, "wrap_up_until"],
                    )
                else:
                    # No wrap-up: the operator is free at once and takes the next waiting call
                    # below (a free operator never idles while work waits).
                    _presence_write(freed, Presence.AVAILABLE, reason="call_ended", also=released)
            elif released:
                rows.operator_write(freed, released)
        if freed is not None:
            operator_dispatch(operator=freed)
    return task


def task_requeue(
    *,
    channel: str,
    ref: str,
    attributes: dict[str, Any] | None = None,
    queue_code: str = "",
    to_operator: Operator | None = None,
    offer: bool = True,
) -> Task | None:
    """A transfer by competence (R12): the work leaves its operator and waits again, in the
    queue the new attributes (or ``queue_code``) choose; or goes straight to ``to_operator``."""
    with transaction.atomic():
        task = _task(channel, ref)
        if task is None or task.state in (TaskState.COMPLETED, TaskState.CANCELED):
            return task
        current = _open_reservation(task)
        if current is not None:
            _finish_reservation(current, ReservationState.COMPLETED)
            _release_operator(current.operator_id, current.channel)
            if channel == WorkChannel.VOICE:
                freed = Operator.objects.select_for_update().get(pk=current.operator_id)
                if freed.presence == Presence.ON_CALL:
                    _presence_write(freed, Presence.AVAILABLE, reason="transferred")
        merged = {**(task.attributes or {}), **(attributes or {})}
        if attributes and "service" in attributes and "skill" not in attributes:
            merged.pop("skill", None)
            merged["skill"] = _skill_code(merged)
        plan: QueuePlan | None = None
        if queue_code:
            plan = next((p for p in queue_plans() if p.code == queue_code), None)
        plan = plan or queue_for(channel, merged)
        now = clock.now()
        task.attributes = merged
        task.queue_id = plan.queue_id if plan else None
        task.step = plan.steps[0].order if plan and plan.steps else 1
        task.step_started_at = now
        task.state = TaskState.PENDING
        task.assigned_to = None
        task.assigned_at = None
        task.priority = max(task.priority, 1)  # a transferred caller has waited already
        task.save(
            update_fields=[
                "attributes",
                "queue",
                "step",
                "step_started_at",
                "state",
                "assigned_to",
                "assigned_at",
                "priority",
            ]
        )
        if not offer:
            return task
        if to_operator is not None:
            reservation = _reserve(task, to_operator.pk, plan)
            if reservation is not None:
                return task
        task_dispatch(task=task)
    return task


# --- the clock --------------------------------------------------------------------------------


@dataclass
class TickResult:
    expired: int = 0
    escalated: int = 0
    wrapped_up: int = 0
    offered: int = 0


def routing_tick(*, now: dt.datetime | None = None, limit: int = 200) -> TickResult:
    """Expire unanswered offers, move tasks whose step timed out, end wrap-ups, offer work."""
    moment = now or clock.now()
    result = TickResult()
    with transaction.atomic(durable=True):
        due = (
            Reservation.objects.select_for_update(skip_locked=True)
            .select_related("task")
            .filter(state=ReservationState.PENDING, expires_at__lte=moment)[:limit]
        )
        for reservation in due:
            _decline(reservation, ReservationState.TIMED_OUT)
            result.expired += 1
    result.escalated, escalated = _escalate(moment, limit)
    with transaction.atomic(durable=True):
        done = Operator.objects.select_for_update(skip_locked=True).filter(
            presence=Presence.WRAP_UP, wrap_up_until__lte=moment
        )
        for operator in done[:limit]:
            _presence_write(operator, Presence.AVAILABLE, reason="wrap_up_end")
            result.wrapped_up += 1
            if operator_dispatch(operator=operator) is not None:
                result.offered += 1
    # Offer the tasks moved to their next step, and, as a safety net, the longest waiting
    # (they matter most) and the newest (one may have arrived while its operator was being
    # freed elsewhere, each transaction missing the other). Every other way a task and an
    # operator come together is an event that offers at once, so the net stays small: a
    # tick must not load the machine the events share. A task with nobody free costs one read
    # that locks nothing; an operator it finds is locked until this pass commits, and events
    # skip it meanwhile.
    waiting = Task.objects.filter(state=TaskState.PENDING)
    tasks = {task.pk: task for task in waiting.filter(pk__in=escalated)}
    oldest = waiting.order_by("-priority", "created_at")[:SAFETY_OLDEST]
    tasks.update((task.pk, task) for task in oldest)
    newest = waiting.filter(step_started_at__gte=moment - dt.timedelta(seconds=SAFETY_SECONDS))
    tasks.update((task.pk, task) for task in newest.order_by("-step_started_at")[:SAFETY_NEWEST])
    with transaction.atomic(durable=True):
        for task in tasks.values():
            if task_dispatch(task=task) is not None:
                result.offered += 1
    return result


SAFETY_SECONDS = 2  # how far back the tick looks for work that may have missed its operator
SAFETY_NEWEST = 10  # at most this many of those
SAFETY_OLDEST = 10  # the longest-waiting tasks the tick offers again every time


def _escalate(moment: dt.datetime, limit: int) -> tuple[int, list[int]]:
    """Move waiting tasks whose step timed out to the queue's next step: how many moved, and
    the ids of those that were due (the ones offered or moved meanwhile are not counted)."""
    count = 0
    moved: list[int] = []
    for plan in queue_plans():
        for step in plan.steps:
            following = plan.next_order(step.order)
            if step.timeout_seconds is None or following is None:
                continue
            due = Task.objects.filter(
                state=TaskState.PENDING,
                queue_id=plan.queue_id,
                step=step.order,
                step_started_at__lte=moment - dt.timedelta(seconds=step.timeout_seconds),
            )
            room = limit - len(moved)
            ids = list(due.order_by("created_at").values_list("pk", flat=True)[:room])
            if ids:
                with transaction.atomic(durable=True):
                    # Conditional: a task offered or moved meanwhile is left alone.
                    count += Task.objects.filter(
                        pk__in=ids, state=TaskState.PENDING, step=step.order
                    ).update(step=following, step_started_at=moment)
                moved += ids
            if len(moved) >= limit:
                return count, moved
    return count, moved
