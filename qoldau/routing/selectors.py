"""Reads of work distribution for screens: an operator's offers and work, queues, presence."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, QuerySet

from qoldau.routing.enums import Presence, ReservationState, TaskState, WorkChannel
from qoldau.routing.models import Operator, Queue, Reservation, Skill, Task


def routing_queue_exists(code: str) -> bool:
    return Queue.objects.filter(code=code, is_active=True).exists()


def operator_of(user: Any) -> Operator | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Operator.objects.filter(user=user).first()


@dataclass(frozen=True)
class DeskState:
    """What the operator's desk shows: an offer to answer, the call in work, or nothing."""

    operator: Operator
    offer: Reservation | None
    call: Reservation | None
    written_offers: list[Reservation]

    @property
    def key(self) -> str:
        """Changes whenever the desk must redraw (polling answers 204 while it stays)."""
        parts = [
            self.operator.presence,
            f"o{self.offer.pk}" if self.offer else "",
            f"c{self.call.pk}" if self.call else "",
            ",".join(str(r.pk) for r in self.written_offers),
        ]
        return "|".join(parts)


def desk_state(operator: Operator) -> DeskState:
    operator.refresh_from_db()
    open_rows = list(
        Reservation.objects.filter(
            operator=operator,
            state__in=[ReservationState.PENDING, ReservationState.ACCEPTED],
        )
        .select_related("task")
        .order_by("offered_at")
    )
    voice = [r for r in open_rows if r.channel == WorkChannel.VOICE]
    offer = next((r for r in voice if r.state == ReservationState.PENDING), None)
    call = next(
        (
            r
            for r in voice
            if r.state == ReservationState.ACCEPTED and r.task.state == TaskState.ASSIGNED
        ),
        None,
    )
    written = [
        r
        for r in open_rows
        if r.channel != WorkChannel.VOICE and r.state == ReservationState.PENDING
    ]
    return DeskState(operator=operator, offer=offer, call=call, written_offers=written)


def voice_work_finished(operator: Operator, *, since: Any, limit: int) -> list[Reservation]:
    """The operator's calls that left them (the caller hung up, or the call was transferred)
    since ``since``, the latest first: ``responded_at`` of a completed reservation is when it
    ended."""
    return list(
        Reservation.objects.filter(
            operator=operator,
            channel=WorkChannel.VOICE,
            state=ReservationState.COMPLETED,
            responded_at__gte=since,
        )
        .select_related("task")
        .order_by("-responded_at", "-pk")[:limit]
    )


def queue_list() -> QuerySet[Queue]:
    return Queue.objects.filter(is_active=True).annotate(member_count=Count("members"))


def skill_list() -> QuerySet[Skill]:
    return Skill.objects.select_related("service").order_by("code")


def transfer_targets(*, exclude: Operator | None = None) -> QuerySet[Operator]:
    """Operators a call may be passed to directly: signed in and free."""
    qs = Operator.objects.filter(presence=Presence.AVAILABLE, voice_busy=0).select_related("user")
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    return qs.order_by("user__last_name", "user__username")


def operator_list() -> QuerySet[Operator]:
    return (
        Operator.objects.select_related("user")
        .prefetch_related("skills__skill", "languages", "queues")
        .order_by("user__last_name", "user__username")
    )


def tasks_waiting() -> QuerySet[Task]:
    return Task.objects.filter(state=TaskState.PENDING).order_by("-priority", "created_at")
