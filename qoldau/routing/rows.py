"""The router's row writes in plain SQL, on PostgreSQL and SQLite alike.

Every event the router handles runs a handful of these statements; through the ORM each cost
more Python time (building, compiling and adapting the query) than the database spent on it,
and the router has a few milliseconds per event (issue 5). The SQL here is what the ORM would
send, with the conditions that make the writes safe under concurrency kept in the statements
themselves: a conditional UPDATE claims a free operator or a waiting task, and an INSERT that
would break a unique index (one open offer per task, one call per operator) inserts nothing.
Functions run inside the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any, TypeVar

from django.db import connection
from django.utils.dateparse import parse_datetime

from qoldau.routing.enums import Presence, ReservationState, TaskState, WorkChannel
from qoldau.routing.models import Operator, Reservation, Task

OPEN = (ReservationState.PENDING, ReservationState.ACCEPTED)
ModelT = TypeVar("ModelT", Task, Operator, Reservation)
ENDED = (TaskState.COMPLETED, TaskState.CANCELED)


def _for_update() -> str:
    # SQLite has no row locks: its IMMEDIATE transactions hold the whole database instead.
    return " FOR UPDATE" if connection.features.has_select_for_update else ""


def stamp(value: dt.datetime | None) -> Any:
    """A datetime as the database driver takes it (the ORM's own adaptation)."""
    return connection.ops.adapt_datetimefield_value(value)


def moment(value: Any) -> dt.datetime | None:
    """A datetime read back by plain SQL (SQLite returns text in UTC)."""
    if value is None or isinstance(value, dt.datetime):
        return value
    parsed = parse_datetime(str(value))
    if parsed is not None and parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed


_sqlite_sql: dict[str, str] = {}


def _driver_cursor() -> Any:
    """A cursor of the database driver itself, in the connection's current transaction: Django's
    cursor wrapper costs more per statement than these statements cost the database."""
    connection.ensure_connection()
    return connection.connection.cursor()


def _native(sql: str) -> str:
    if connection.vendor != "sqlite":
        return sql  # psycopg takes %s placeholders
    found = _sqlite_sql.get(sql)
    if found is None:
        found = _sqlite_sql[sql] = sql.replace("%s", "?")
    return found


def _run(sql: str, params: Sequence[Any]) -> int:
    with connection.wrap_database_errors:
        cursor = _driver_cursor()
        try:
            cursor.execute(_native(sql), params)
            return int(cursor.rowcount)
        finally:
            cursor.close()


def fetch_one(sql: str, params: Sequence[Any]) -> tuple[Any, ...] | None:
    with connection.wrap_database_errors:
        cursor = _driver_cursor()
        try:
            cursor.execute(_native(sql), params)
            row = cursor.fetchone()
            return tuple(row) if row is not None else None
        finally:
            cursor.close()


_OPERATOR_COLUMNS = (
    "id",
    "user_id",
    "extension",
    "presence",
    "presence_since",
    "idle_since",
    "voice_capacity",
    "text_capacity",
    "voice_busy",
    "text_busy",
    "wrap_up_until",
)
_DATETIME_COLUMNS = frozenset({"presence_since", "idle_since", "wrap_up_until"})
_OPERATOR_SELECT = ", ".join(f"o.{name}" for name in _OPERATOR_COLUMNS)


def _loaded(instance: ModelT) -> ModelT:
    """Mark a model built from a row this module read or wrote as stored (so a later save()
    updates instead of inserting)."""
    instance._state.adding = False
    instance._state.db = connection.alias
    return instance


def _reservation(
    reservation_id: int,
    task: Task,
    operator_id: int,
    *,
    state: str,
    step: int,
    offered_at: dt.datetime,
    expires_at: dt.datetime,
    responded_at: dt.datetime | None = None,
) -> Reservation:
    return _loaded(
        Reservation(
            id=reservation_id,
            task=task,
            operator_id=operator_id,
            channel=task.channel,
            state=state,
            step=step,
            offered_at=offered_at,
            expires_at=expires_at,
            responded_at=responded_at,
        )
    )


# --- tasks --------------------------------------------------------------------------------------


def task_insert(draft: Task) -> Task | None:
    """Store a new waiting task (``draft`` unsaved), or None when its (channel, ref) is taken
    (the unique index decides, so two submits of one call racing each other make one task)."""
    row = fetch_one(
        "INSERT INTO routing_task (channel, ref, attributes, queue_id, step, step_started_at, "
        "state, priority, created_at, offers) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, 0) "
        "ON CONFLICT (channel, ref) DO NOTHING RETURNING id",
        _task_values(draft, TaskState.PENDING),
    )
    return _stored(draft, row[0], TaskState.PENDING, 0) if row is not None else None


_INSERT_MATCHED = (
    "WITH cand AS ({candidates}), "
    "claimed AS (UPDATE routing_operator SET voice_busy = voice_busy + 1 "
    "WHERE id = (SELECT pk FROM cand) AND presence = %s AND voice_busy = 0 RETURNING id), "
    "inserted AS (INSERT INTO routing_task (channel, ref, attributes, queue_id, step, "
    "step_started_at, state, priority, created_at, offers) "
    "SELECT %s, %s, %s, %s, %s, %s, CASE WHEN EXISTS (SELECT 1 FROM claimed) THEN %s "
    "ELSE %s END, %s, %s, (SELECT count(*) FROM claimed) "
    "ON CONFLICT (channel, ref) DO NOTHING RETURNING id), "
    "offered AS (INSERT INTO routing_reservation (task_id, operator_id, channel, state, step, "
    "offered_at, expires_at, responded_at) SELECT inserted.id, claimed.id, %s, %s, %s, %s, %s, "
    "NULL FROM inserted, claimed RETURNING id) "
    "SELECT (SELECT id FROM claimed), (SELECT id FROM inserted), (SELECT id FROM offered)"
)
_matched_sql: dict[str, str] = {}


def task_insert_matched(
    draft: Task, *, candidates: tuple[str, list[Any]], expires_at: dt.datetime
) -> tuple[Task | None, Reservation | None]:
    """Store a new call and offer it to the operator ``candidates`` finds (its SQL and
    parameters: ``matching.candidate_query``), in one statement (PostgreSQL): the operator
    found and locked, claimed, the task inserted as offered and the reservation inserted; with
    nobody free, the task inserted as waiting. One round trip for the usual call.

    Returns (task, reservation): (None, None) when the (channel, ref) is taken (a repeated
    submit; nothing changed), (task, None) for a call that waits."""
    found_sql, found_params = candidates
    sql = _matched_sql.get(found_sql)
    if sql is None:
        if len(_matched_sql) > 256:
            _matched_sql.clear()
        sql = _matched_sql[found_sql] = _INSERT_MATCHED.format(candidates=found_sql)
    values = _task_values(draft, TaskState.RESERVED)
    at = stamp(draft.created_at)
    row = fetch_one(
        sql,
        [
            *found_params,
            Presence.AVAILABLE,
            *values[:6],
            TaskState.RESERVED,
            TaskState.PENDING,
            values[7],
            values[8],
            draft.channel,
            ReservationState.PENDING,
            draft.step,
            at,
            stamp(expires_at),
        ],
    )
    operator_id, task_id, reservation_id = row if row is not None else (None, None, None)
    if task_id is None:
        if operator_id is not None:  # the call was submitted before: give the operator back
            operator_release(int(operator_id), WorkChannel.VOICE)
        return None, None
    if operator_id is None:
        return _stored(draft, task_id, TaskState.PENDING, 0), None
    task = _stored(draft, task_id, TaskState.RESERVED, 1)
    reservation = _reservation(
        reservation_id,
        task,
        int(operator_id),
        state=ReservationState.PENDING,
        step=task.step,
        offered_at=draft.created_at,
        expires_at=expires_at,
    )
    return task, reservation


def _task_values(draft: Task, state: str) -> list[Any]:
    at = stamp(draft.created_at)
    return [
        draft.channel,
        draft.ref,
        json.dumps(draft.attributes, ensure_ascii=False),
        draft.queue_id,
        draft.step,
        at,
        state,
        draft.priority,
        at,
    ]


def _stored(draft: Task, task_id: int, state: str, offers: int) -> Task:
    draft.pk = task_id
    draft.state = state
    draft.offers = offers
    return _loaded(draft)


def task_take(task_id: int) -> bool:
    """Waiting → offered, if the task still waits (counts the offer)."""
    return (
        _run(
            "UPDATE routing_task SET state = %s, offers = offers + 1 WHERE id = %s AND state = %s",
            [TaskState.RESERVED, task_id, TaskState.PENDING],
        )
        == 1
    )


def task_waits(task_id: int) -> bool:
    return (
        fetch_one(
            "SELECT 1 FROM routing_task WHERE id = %s AND state = %s", [task_id, TaskState.PENDING]
        )
        is not None
    )


def task_untake(task_id: int) -> None:
    """Offered → waiting again (an offer was withdrawn before it was made)."""
    _run(
        "UPDATE routing_task SET state = %s, offers = offers - 1 WHERE id = %s AND state = %s",
        [TaskState.PENDING, task_id, TaskState.RESERVED],
    )


TASK_COLUMNS = (
    "id",
    "channel",
    "ref",
    "attributes",
    "queue_id",
    "step",
    "step_started_at",
    "state",
    "priority",
    "created_at",
    "assigned_to_id",
    "assigned_at",
    "ended_at",
    "offers",
)
_TASK_DATETIMES = frozenset({"step_started_at", "created_at", "assigned_at", "ended_at"})


def task_of(row: Sequence[Any]) -> Task:
    values = dict(zip(TASK_COLUMNS, row, strict=True))
    for name in _TASK_DATETIMES:
        values[name] = moment(values[name])
    if isinstance(values["attributes"], str | bytes):
        values["attributes"] = json.loads(values["attributes"])
    task = Task(**values)
    return _loaded(task)


def task_end(*, channel: str, ref: str, state: str, now: dt.datetime) -> Task | None:
    """Mark a task done or gone and return it; None if there is none or it had ended already."""
    row = fetch_one(
        "UPDATE routing_task SET state = %s, ended_at = %s "  # noqa: S608 (constant SQL)
        "WHERE channel = %s AND ref = %s AND state NOT IN (%s, %s) "
        f"RETURNING {', '.join(TASK_COLUMNS)}",
        [state, stamp(now), channel, ref, *ENDED],
    )
    return task_of(row) if row is not None else None


def task_end_closing_offer(
    *, channel: str, ref: str, state: str, now: dt.datetime
) -> tuple[Task, tuple[str, bool, Operator | None] | None] | None:
    """End the task (as ``task_end``) and close its open offer or assignment: an accepted one
    completes, a pending one is canceled. Returns the task and (the reservation's channel,
    whether it had been accepted, its operator with their row locked), or None if the task had
    ended or does not exist.

    Ending the task comes first, on its own: the reservation is looked for after the task's row
    is held, and whoever offers a task updates that row first, so no new offer can slip in
    between (one statement would read the reservations as they were before it waited)."""
    task = task_end(channel=channel, ref=ref, state=state, now=now)
    if task is None:
        return None
    close = (
        "UPDATE routing_reservation SET state = CASE WHEN state = %s THEN %s ELSE %s END, "
        "responded_at = %s WHERE task_id = %s AND state IN (%s, %s) "
        "RETURNING id, operator_id, channel, state"
    )
    params = [
        ReservationState.ACCEPTED,
        ReservationState.COMPLETED,
        ReservationState.CANCELED,
        stamp(now),
        task.pk,
        *OPEN,
    ]
    if connection.vendor == "postgresql":
        # The operator's row is locked in the same statement (its latest version is read).
        row = fetch_one(
            f"WITH closed AS ({close}) SELECT closed.channel, closed.state, {_OPERATOR_SELECT} "  # noqa: S608 (constant SQL)
            "FROM closed JOIN routing_operator o ON o.id = closed.operator_id FOR UPDATE OF o",
            params,
        )
        if row is None:  # no open reservation (an operator row cannot be missing: FK cascade)
            return task, None
        return task, (str(row[0]), row[1] == ReservationState.COMPLETED, operator_of(row[2:]))
    row = fetch_one(close, params)
    if row is None:
        return task, None
    return task, (str(row[2]), row[3] == ReservationState.COMPLETED, operator_locked(int(row[1])))


def offer_accepted(
    task_id: int, reservation_id: int, operator_id: int, now: dt.datetime
) -> Task | None:
    """The operator accepted the offer: the reservation accepted, the task theirs; returns the
    task. One statement on PostgreSQL (both rows are locked by ``offer_of`` already)."""
    if connection.vendor != "postgresql":
        reservation_close(reservation_id, ReservationState.ACCEPTED, now)
        row = fetch_one(
            "UPDATE routing_task SET state = %s, assigned_to_id = %s, assigned_at = %s "  # noqa: S608 (constant SQL)
            f"WHERE id = %s RETURNING {', '.join(TASK_COLUMNS)}",
            [TaskState.ASSIGNED, operator_id, stamp(now), task_id],
        )
        return task_of(row) if row is not None else None
    row = fetch_one(
        "WITH accepted AS (UPDATE routing_reservation SET state = %s, responded_at = %s "  # noqa: S608 (constant SQL)
        "WHERE id = %s RETURNING id) "
        "UPDATE routing_task SET state = %s, assigned_to_id = %s, assigned_at = %s "
        f"WHERE id = %s RETURNING {', '.join(TASK_COLUMNS)}",
        [
            ReservationState.ACCEPTED,
            stamp(now),
            reservation_id,
            TaskState.ASSIGNED,
            operator_id,
            stamp(now),
            task_id,
        ],
    )
    return task_of(row) if row is not None else None


def offer_of(channel: str, ref: str) -> tuple[int, str, int, str, Operator] | None:
    """(task id, task state, reservation id, reservation state, operator) of the task's open
    offer or assignment, the three rows locked; None when the task has none."""
    row = fetch_one(
        f"SELECT t.id, t.state, r.id, r.state, {_OPERATOR_SELECT} FROM routing_task t "  # noqa: S608 (constant SQL)
        "JOIN routing_reservation r ON r.task_id = t.id AND r.state IN (%s, %s) "
        "JOIN routing_operator o ON o.id = r.operator_id "
        "WHERE t.channel = %s AND t.ref = %s" + _for_update(),
        [*OPEN, channel, ref],
    )
    if row is None:
        return None
    return int(row[0]), str(row[1]), int(row[2]), str(row[3]), operator_of(row[4:])


# --- operators ----------------------------------------------------------------------------------


def operator_claim(operator_id: int, channel: str) -> bool:
    """Take one unit of the operator's capacity if they are free for this kind of work."""
    if channel == WorkChannel.VOICE:
        sql = (
            "UPDATE routing_operator SET voice_busy = voice_busy + 1 "
            "WHERE id = %s AND presence = %s AND voice_busy = 0"
        )
    else:
        sql = (
            "UPDATE routing_operator SET text_busy = text_busy + 1 "
            "WHERE id = %s AND presence = %s AND voice_busy = 0 AND text_busy < text_capacity"
        )
    return _run(sql, [operator_id, Presence.AVAILABLE]) == 1


def operator_release(operator_id: int, channel: str) -> None:
    field = "voice_busy" if channel == WorkChannel.VOICE else "text_busy"
    _run(
        f"UPDATE routing_operator SET {field} = {field} - 1 WHERE id = %s AND {field} > 0",  # noqa: S608 (a column name, not input)
        [operator_id],
    )


def operator_is_free_for_call(operator_id: int) -> bool:
    return (
        fetch_one("SELECT 1 FROM routing_operator WHERE id = %s AND voice_busy = 0", [operator_id])
        is not None
    )


def operator_locked(operator_id: int) -> Operator | None:
    """The operator's row, locked until the end of the transaction."""
    row = fetch_one(
        f"SELECT {_OPERATOR_SELECT} FROM routing_operator o WHERE o.id = %s"  # noqa: S608 (constant columns)
        + _for_update(),
        [operator_id],
    )
    return operator_of(row) if row is not None else None


def operator_of(row: Sequence[Any]) -> Operator:
    """An operator from the columns of ``_OPERATOR_SELECT``."""
    values = {
        name: moment(value) if name in _DATETIME_COLUMNS else value
        for name, value in zip(_OPERATOR_COLUMNS, row, strict=True)
    }
    operator = Operator(**values)
    return _loaded(operator)


def _operator_update(operator: Operator, fields: Sequence[str]) -> tuple[str, list[Any]]:
    """``UPDATE routing_operator SET …`` of the named fields, and its parameters."""
    values = [
        stamp(getattr(operator, name)) if name in _DATETIME_COLUMNS else getattr(operator, name)
        for name in fields
    ]
    assignments = ", ".join(f"{name} = %s" for name in fields)
    sql = f"UPDATE routing_operator SET {assignments} WHERE id = %s"  # noqa: S608 (model field names)
    return sql, [*values, operator.pk]


def operator_write(operator: Operator, fields: Sequence[str]) -> None:
    """Save the named fields of an operator whose row this transaction holds."""
    if fields:
        _run(*_operator_update(operator, fields))


def presence_save(
    operator: Operator, fields: Sequence[str], *, at: dt.datetime, before: str, reason: str
) -> None:
    """Save the operator's changed fields and record the change of presence (one statement on
    PostgreSQL: the history row is inserted from the UPDATE's result)."""
    change = [stamp(at), before, operator.presence, reason[:40]]
    if connection.vendor != "postgresql":
        operator_write(operator, fields)
        _run(
            "INSERT INTO routing_presencechange (operator_id, at, before, after, reason) "
            "VALUES (%s, %s, %s, %s, %s)",
            [operator.pk, *change],
        )
        return
    update, params = _operator_update(operator, fields)
    _run(
        f"WITH saved AS ({update} RETURNING id) "  # noqa: S608 (model field names)
        "INSERT INTO routing_presencechange (operator_id, at, before, after, reason) "
        "SELECT saved.id, %s, %s, %s, %s FROM saved",
        [*params, *change],
    )


# --- reservations -------------------------------------------------------------------------------


def reservation_insert(
    *,
    task: Task,
    operator_id: int,
    state: str,
    step: int,
    offered_at: dt.datetime,
    expires_at: dt.datetime,
    responded_at: dt.datetime | None = None,
) -> Reservation | None:
    """A new offer (or accepted assignment); None when a unique index refuses it: the task has
    an open offer already, or the operator an open call."""
    row = fetch_one(
        "INSERT INTO routing_reservation (task_id, operator_id, channel, state, step, offered_at, "
        "expires_at, responded_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
        "ON CONFLICT DO NOTHING RETURNING id",
        [
            task.pk,
            operator_id,
            task.channel,
            state,
            step,
            stamp(offered_at),
            stamp(expires_at),
            stamp(responded_at),
        ],
    )
    if row is None:
        return None
    return _reservation(
        row[0],
        task,
        operator_id,
        state=state,
        step=step,
        offered_at=offered_at,
        expires_at=expires_at,
        responded_at=responded_at,
    )


def reservation_close(reservation_id: int, state: str, now: dt.datetime) -> None:
    _run(
        "UPDATE routing_reservation SET state = %s, responded_at = %s WHERE id = %s",
        [state, stamp(now), reservation_id],
    )


# --- one offer in one statement ---------------------------------------------------------------

_CLAIM = {
    WorkChannel.VOICE: "voice_busy = voice_busy + 1 WHERE id = %s AND presence = %s "
    "AND voice_busy = 0",
    "text": "text_busy = text_busy + 1 WHERE id = %s AND presence = %s AND voice_busy = 0 "
    "AND text_busy < text_capacity",
}
_OFFER_IN_ONE = (
    "WITH claimed AS (UPDATE routing_operator SET {claim} RETURNING id), "
    "taken AS (UPDATE routing_task SET state = %s, offers = offers + 1 "
    "WHERE id = %s AND state = %s AND EXISTS (SELECT 1 FROM claimed) RETURNING id), "
    "offered AS (INSERT INTO routing_reservation (task_id, operator_id, channel, state, step, "
    "offered_at, expires_at, responded_at) SELECT taken.id, %s, %s, %s, %s, %s, %s, NULL "
    "FROM taken ON CONFLICT DO NOTHING RETURNING id) "
    "SELECT (SELECT count(*) FROM claimed), (SELECT count(*) FROM taken), (SELECT id FROM offered)"
)


def offer_make(
    *, task: Task, operator_id: int, step: int, offered_at: dt.datetime, expires_at: dt.datetime
) -> Reservation | None:
    """Offer the task to the operator if both are still free: claim the operator, take the task,
    insert the pending reservation; None (and nothing changed) if any step finds its row taken.

    On PostgreSQL the three writes go in one statement (one round trip instead of three); each
    is conditional on the one before it, and what the first did is undone if a later one finds
    nothing to do. On SQLite, which serialises writers, they are three statements."""
    if connection.vendor != "postgresql":
        if not operator_claim(operator_id, task.channel):
            return None
        if not task_take(task.pk):
            operator_release(operator_id, task.channel)
            return None
        reservation = reservation_insert(
            task=task,
            operator_id=operator_id,
            state=ReservationState.PENDING,
            step=step,
            offered_at=offered_at,
            expires_at=expires_at,
        )
        if reservation is None:
            task_untake(task.pk)
            operator_release(operator_id, task.channel)
        return reservation
    claim = _CLAIM[WorkChannel.VOICE if task.channel == WorkChannel.VOICE else "text"]
    row = fetch_one(
        _OFFER_IN_ONE.format(claim=claim),
        [
            operator_id,
            Presence.AVAILABLE,
            TaskState.RESERVED,
            task.pk,
            TaskState.PENDING,
            operator_id,
            task.channel,
            ReservationState.PENDING,
            step,
            stamp(offered_at),
            stamp(expires_at),
        ],
    )
    claimed, taken, reservation_id = row if row is not None else (0, 0, None)
    if reservation_id is None:
        if taken:
            task_untake(task.pk)
        if claimed:
            operator_release(operator_id, task.channel)
        return None
    return _reservation(
        reservation_id,
        task,
        operator_id,
        state=ReservationState.PENDING,
        step=step,
        offered_at=offered_at,
        expires_at=expires_at,
    )
