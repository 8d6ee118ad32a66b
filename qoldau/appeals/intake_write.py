"""The statements of one group-commit batch of the API intake (ADR 0011).

A batch takes two steps inside one transaction:

1. **claim** its idempotency keys: insert them, in one order in every batch (so two batches
   never wait for each other's keys crosswise), and for each key it inserted take an appeal id
   and a registration number; a key that was there already is read back as it was stored. On
   PostgreSQL this is one statement (``ON CONFLICT DO UPDATE`` changing nothing returns the
   existing row; ids and numbers come from sequences, no row lock); on SQLite, which runs one
   writer at a time, the ids follow the table's ``sqlite_sequence`` and the numbers the year's
   counter row.
2. **write** the fresh appeals with everything that goes with them — the ``registered``
   event, the acknowledgement's notification and outbox rows, the stored response on each
   key, the audit records — built once as plain rows in Python. On PostgreSQL this is one
   statement too: the inserts as ``WITH`` parts and the audit chain appended by the database
   (``qoldau_audit_append``, which locks the chain's head only from here to the commit).

So a batch costs PostgreSQL two statements and the commit, whatever its size.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
import psycopg
from django.db import connection
from django.db.models import Model

from qoldau.appeals.models import Appeal, AppealEvent, IdempotencyKey, Notification
from qoldau.appeals.numbering import format_number, next_numbers, number_sequence
from qoldau.audit.services import AuditEntry, audit_append_statement, audit_record_many
from qoldau.core.bulk import insert_rows, insert_statement
from qoldau.core.models import OutboxMessage


@dataclass(frozen=True)
class Claim:
    """A key this batch inserted, with the id and number of the appeal it will register."""

    key_id: int
    appeal_id: int
    number: str


@dataclass(frozen=True)
class StoredKey:
    """A key someone registered before (committed): the fingerprint and the first response."""

    request_hash: str
    status_code: int
    response: dict[str, Any]


Pair = tuple[str, str]


@dataclass(frozen=True)
class Response:
    """The first response to a key, stored with it for replays."""

    key_id: int
    client: str
    key: str
    request_hash: str
    body: dict[str, Any]
    appeal_id: int


@dataclass
class FreshRows:
    """Everything a batch writes for its fresh appeals (all primary keys known)."""

    now: Any
    appeals: list[Appeal] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    notifications: list[dict[str, Any]] = field(default_factory=list)
    outbox: list[dict[str, Any]] = field(default_factory=list)
    responses: list[Response] = field(default_factory=list)
    audit: list[AuditEntry] = field(default_factory=list)


def _table(model: Any) -> str:
    return str(connection.ops.quote_name(model._meta.db_table))


# --- claims -------------------------------------------------------------------------------------


def claim_keys(
    keys: Sequence[tuple[str, str, str]], *, now: Any, year: int
) -> tuple[dict[Pair, Claim], dict[Pair, StoredKey]]:
    """Insert ``keys`` — (client, key, request fingerprint), each pair once — with status 0.
    Returns the pairs this call inserted, each with its appeal's id and number, and the stored
    rows of all the others: those were committed before, or by a concurrent transaction that
    the insert waited for. Status 0 is never committed: the batch stores the response first."""
    if not keys:
        return {}, {}
    if connection.vendor == "postgresql":
        claims, stored = _claim_postgresql(keys, now=now, year=year)
    else:
        claims, stored = _claim_sqlite(keys, now=now, year=year)
    missing = [(c, k) for c, k, _h in keys if (c, k) not in claims and (c, k) not in stored]
    if missing:
        stored.update(_keys_read(missing))
    return claims, stored


_appeal_id_sequence: str | None = None


def _appeal_sequence() -> str:
    global _appeal_id_sequence
    if _appeal_id_sequence is None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [_table(Appeal)])
            row = cursor.fetchone()
        if row is None or not row[0]:
            raise RuntimeError("the appeals' table has no id sequence")
        _appeal_id_sequence = str(row[0])
    return _appeal_id_sequence


def _claim_postgresql(
    keys: Sequence[tuple[str, str, str]], *, now: Any, year: int
) -> tuple[dict[Pair, Claim], dict[Pair, StoredKey]]:
    # ``ON CONFLICT DO UPDATE`` (changing nothing) returns the row that was there — committed
    # before, or by a concurrent twin the insert waited for — so a retry costs no second
    # statement, and no plan has to choose how to find the keys: the unique index does.
    # A row comes back with status 0 only if this statement inserted it. Its appeal's id is
    # taken with it (the foreign key is checked at the commit), so storing the response later
    # changes no indexed column; a retry's id stays unused (ids are internal).
    sql = (
        "WITH r AS (SELECT * FROM json_to_recordset(%s::json) "  # noqa: S608 (names from the model)
        "AS r(client varchar, key varchar, request_hash varchar)), "
        f"k AS (INSERT INTO {_table(IdempotencyKey)} AS t "
        '("client", "key", "request_hash", "status_code", "response", "appeal_id", '
        "\"created_at\") SELECT client, key, request_hash, 0, '{}'::jsonb, "
        "nextval(%s::regclass), %s::timestamptz FROM r "
        'ORDER BY client, key ON CONFLICT ("client", "key") DO UPDATE SET "key" = t."key" '
        'RETURNING t."id", t."client", t."key", t."request_hash", t."status_code", '
        't."response", t."appeal_id") '
        "SELECT id, client, key, request_hash, status_code, response, appeal_id, "
        "CASE WHEN status_code = 0 THEN nextval(%s::regclass) END FROM k"
    )
    document = orjson.dumps([{"client": c, "key": k, "request_hash": h} for c, k, h in keys])
    params = [document.decode(), _appeal_sequence(), now.isoformat(), number_sequence(year)]
    rows = _execute(sql, params)
    stored = {
        (str(row[1]), str(row[2])): StoredKey(str(row[3]), int(row[4]), _json(row[5]))
        for row in rows
        if row[7] is None
    }
    fresh = [row for row in rows if row[7] is not None]
    # The sequence hands out numbers in the order the rows were read, not the order the
    # requests came: give them out again in the requests' order.
    order = {(c, k): position for position, (c, k, _h) in enumerate(keys)}
    fresh.sort(key=lambda row: order[(row[1], row[2])])
    numbers = sorted(int(row[7]) for row in fresh)
    claims = {
        (str(row[1]), str(row[2])): Claim(int(row[0]), int(row[6]), format_number(year, n))
        for row, n in zip(fresh, numbers, strict=True)
    }
    return claims, stored


_dollars: dict[str, str] = {}


def _execute(sql: str, params: list[Any]) -> list[Any]:
    """PostgreSQL: run ``sql`` (written with %s) on Django's connection, inside its transaction,
    through a psycopg ``RawCursor`` with $n placeholders: psycopg parses a long %s query anew on
    every call, and a batch's statements are long. The rows, if the statement returns any."""
    query = _dollars.get(sql)
    if query is None:
        pieces = sql.split("%s")
        query = pieces[0] + "".join(f"${n}{p}" for n, p in enumerate(pieces[1:], start=1))
        _dollars[sql] = query
    connection.ensure_connection()
    raw = connection.connection
    assert raw is not None
    with psycopg.RawCursor(raw) as cursor:
        cursor.execute(query, params)
        return cursor.fetchall() if cursor.description is not None else []


def _claim_sqlite(
    keys: Sequence[tuple[str, str, str]], *, now: Any, year: int
) -> tuple[dict[Pair, Claim], dict[Pair, StoredKey]]:
    created = connection.ops.adapt_datetimefield_value(now)
    one = "(%s, %s, %s, 0, '{}', %s)"
    sql = (
        f"INSERT INTO {_table(IdempotencyKey)} "  # noqa: S608 (names from the model)
        '("client", "key", "request_hash", "status_code", "response", "created_at") VALUES '
        + ", ".join([one] * len(keys))
        + ' ON CONFLICT DO NOTHING RETURNING "id", "client", "key"'
    )
    params = [value for c, k, h in sorted(keys) for value in (c, k, h, created)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        inserted = {(str(c), str(k)): int(pk) for pk, c, k in cursor.fetchall()}
    ordered = [(c, k) for c, k, _h in keys if (c, k) in inserted]
    if not ordered:
        return {}, {}
    ids = _sqlite_next_ids(Appeal, len(ordered))
    numbers = next_numbers(year, len(ordered))
    claims = {pair: Claim(inserted[pair], ids[i], numbers[i]) for i, pair in enumerate(ordered)}
    return claims, {}


def _json(raw: Any) -> dict[str, Any]:
    parsed: dict[str, Any] = orjson.loads(raw) if isinstance(raw, (str, bytes)) else raw
    return parsed


def _keys_read(pairs: list[Pair]) -> dict[Pair, StoredKey]:
    """The stored rows of ``pairs`` (one plain SELECT: the ORM's query building and model
    instances cost more than the statement)."""
    clients = sorted({c for c, _k in pairs})
    keys = sorted({k for _c, k in pairs})
    sql = (
        'SELECT "client", "key", "request_hash", "status_code", "response" '  # noqa: S608 (names from the model)
        f'FROM {_table(IdempotencyKey)} WHERE "client" IN ({", ".join(["%s"] * len(clients))}) '
        f'AND "key" IN ({", ".join(["%s"] * len(keys))})'
    )
    wanted = set(pairs)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*clients, *keys])
        rows = cursor.fetchall()
    return {
        (str(c), str(k)): StoredKey(str(h), int(status), _json(response))
        for c, k, h, status, response in rows
        if (c, k) in wanted
    }


def _sqlite_next_ids(model: Any, count: int) -> list[int]:
    """The next ``count`` ids of an AUTOINCREMENT table. Only inside a write transaction (SQLite
    lets one writer in at a time, so nobody else takes them before the rows are written)."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = %s), 0), "  # noqa: S608 (names from the model)
            f"coalesce((SELECT max(id) FROM {_table(model)}), 0))",
            [table],
        )
        row = cursor.fetchone()
    last = int(row[0]) if row else 0
    return list(range(last + 1, last + count + 1))


# --- rows ---------------------------------------------------------------------------------------

_appeal_columns: tuple[list[str], list[Any]] | None = None


def new_appeal(values: Mapping[str, Any], *, related: Mapping[str, Model | None]) -> Appeal:
    """An appeal about to be written (its primary key set), built the way the ORM builds one it
    read — positionally, about three times faster than with keyword arguments; a field left out
    takes its default. ``related`` are the objects behind its foreign keys, kept on it as the
    ORM keeps them, so reading them costs no query."""
    global _appeal_columns
    if _appeal_columns is None:
        fields = Appeal._meta.concrete_fields
        _appeal_columns = ([f.attname for f in fields], [f.get_default for f in fields])
    names, defaults = _appeal_columns
    row = [
        values[name] if name in values else default()
        for name, default in zip(names, defaults, strict=True)
    ]
    appeal = Appeal.from_db(connection.alias, names, row)
    for name, obj in related.items():
        if obj is not None:
            Appeal._meta.get_field(name).set_cached_value(appeal, obj)  # type: ignore[union-attr]
    return appeal


# --- writing ------------------------------------------------------------------------------------


def write_fresh(rows: FreshRows) -> None:
    """Write ``rows`` inside the caller's transaction (after ``claim_keys``)."""
    if not rows.appeals:
        return
    appeals = [appeal.__dict__ for appeal in rows.appeals]
    if connection.vendor != "postgresql":
        insert_rows(Appeal, appeals, with_pk=True)
        insert_rows(AppealEvent, rows.events)
        insert_rows(OutboxMessage, rows.outbox)
        insert_rows(Notification, rows.notifications)
        with connection.cursor() as cursor:
            cursor.executemany(
                f'UPDATE {_table(IdempotencyKey)} SET "status_code" = 201, "response" = %s, '  # noqa: S608 (names from the model)
                '"appeal_id" = %s WHERE "id" = %s',
                [(orjson.dumps(r.body).decode(), r.appeal_id, r.key_id) for r in rows.responses],
            )
        audit_record_many(rows.audit)
        return
    parts = [
        insert_statement(Appeal, appeals, with_pk=True),
        insert_statement(AppealEvent, rows.events),
    ]
    if rows.outbox:
        parts.append(insert_statement(OutboxMessage, rows.outbox))
        parts.append(insert_statement(Notification, rows.notifications))
    # The keys' responses as an upsert on the primary key rather than an UPDATE … FROM: the
    # index finds each row whatever the statistics say (a prepared UPDATE … FROM planned while
    # the table was small keeps scanning all of it as it grows).
    responses = orjson.dumps(
        [
            {
                "id": r.key_id,
                "client": r.client,
                "key": r.key,
                "request_hash": r.request_hash,
                "response": r.body,
                "appeal_id": r.appeal_id,
            }
            for r in rows.responses
        ]
    ).decode()
    parts.append(
        (
            f"INSERT INTO {_table(IdempotencyKey)} "  # noqa: S608 (names from the model)
            '("id", "client", "key", "request_hash", "status_code", "response", "appeal_id", '
            '"created_at") SELECT id, client, key, request_hash, 201, response, appeal_id, '
            "%s::timestamptz FROM json_to_recordset(%s::json) AS r(id bigint, client varchar, "
            "key varchar, request_hash varchar, response jsonb, appeal_id bigint) "
            'ON CONFLICT ("id") DO UPDATE SET "status_code" = excluded."status_code", '
            '"response" = excluded."response"',
            [rows.now.isoformat(), responses],
        )
    )
    audit_sql, audit_params = audit_append_statement(rows.audit)
    # Every data-modifying part of a WITH runs to completion whatever the main query reads; the
    # foreign keys (events, notifications → appeals) are checked at the end of the statement.
    # (The audit function runs first and holds the chain's head until the commit; running it
    # last, after counting the parts' rows, measured slower: the counting costs more.)
    sql = "WITH " + ", ".join(f"w{i} AS ({part})" for i, (part, _p) in enumerate(parts))
    sql += " " + audit_sql
    params = [value for _part, values in parts for value in values]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *audit_params])
