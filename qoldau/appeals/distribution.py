"""Written appeals through the same router as calls (R12): an e-mail or web appeal is a task
offered to an operator with the competence and the language, within their capacity for written
work; taking the offer takes the appeal; answering, referring or closing it frees the capacity.

Each function runs inside the appeal service's transaction, so the task and the appeal never
disagree.
"""

from __future__ import annotations

from typing import Any

from qoldau.appeals.enums import Channel
from qoldau.appeals.models import Appeal
from qoldau.core import events
from qoldau.routing import services as routing
from qoldau.routing.enums import WorkChannel
from qoldau.routing.models import Operator, Reservation, Task

ROUTED: dict[str, str] = {Channel.EMAIL: WorkChannel.EMAIL, Channel.WEB: WorkChannel.WEB}


def appeal_distribute(appeal: Appeal) -> None:
    """Queue a new written appeal for an operator (calls are distributed as calls)."""
    channel = ROUTED.get(appeal.channel)
    if channel is None:
        return
    routing.task_submit(
        channel=channel,
        ref=appeal.number,
        attributes={
            "language": appeal.language,
            "service": appeal.service.register_number if appeal.service else "",
            "category": appeal.category,
        },
    )


def appeal_distribution_done(appeal: Appeal) -> None:
    """The appeal left the operator's hands (answered, referred, closed, merged)."""
    channel = ROUTED.get(appeal.channel)
    if channel is not None:
        routing.task_finish(channel=channel, ref=appeal.number)


def appeal_distribution_transfer(appeal: Appeal, to_user: Any) -> None:
    """Transferred to another operator (R12): the task follows; to a group, it waits again."""
    channel = ROUTED.get(appeal.channel)
    if channel is None:
        return
    target = Operator.objects.filter(user=to_user).first() if to_user is not None else None
    routing.task_requeue(channel=channel, ref=appeal.number, to_operator=target)


def _on_accepted(*, reservation: Reservation, task: Task | None) -> None:
    """An operator took a written appeal on the desk: it becomes theirs and in progress."""
    if task is None or reservation.channel not in ROUTED.values():
        return
    from qoldau.appeals.services import appeal_take_in_transaction

    appeal = Appeal.objects.select_for_update().filter(number=task.ref).first()
    if appeal is not None:
        appeal_take_in_transaction(appeal=appeal, actor=reservation.operator.user, strict=False)


def distribution_subscribe() -> None:
    events.subscribe("routing.accepted", _on_accepted)
