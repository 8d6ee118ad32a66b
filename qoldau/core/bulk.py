"""``bulk_insert``: a multi-row INSERT of new model instances for hot write paths (ADR 0009).

``QuerySet.bulk_create`` compiles its statement anew on every call and sends each value of
each row through its field's ``get_db_prep_save`` (a dozen calls per value): for the API
intake's group commit that was most of its CPU. Here the statement and a converter per field
are worked out once per (model, database vendor); plain values (text, numbers, booleans,
foreign keys) pass as they are. Same rows, same defaults (``auto_now``/``auto_now_add`` via
``pre_save``), primary keys set from RETURNING.

- PostgreSQL: the rows travel as one JSON document, unpacked by ``json_to_recordset`` into
  typed columns. The statement is short and the same for any row count, so psycopg converts
  it once (a long VALUES list is parsed anew on every call, arrays are dumped in Python), and
  ``json.dumps`` of the rows is C code.
- SQLite: a multi-row VALUES list, in chunks the database accepts.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import orjson
from django.db import connection, models

from qoldau.core import clock

_PLAIN = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "SmallAutoField",
        "CharField",
        "TextField",
        "IntegerField",
        "BigIntegerField",
        "SmallIntegerField",
        "PositiveIntegerField",
        "PositiveBigIntegerField",
        "PositiveSmallIntegerField",
        "BooleanField",
    }
)
_PLAIN_TYPES = (str, int, bool)  # bool is an int; the type is checked per value, not trusted

Convert = Callable[[Any], Any]


def _document(rows: list[dict[str, Any]]) -> str:
    """The rows as one JSON text (orjson: an order of magnitude faster than ``json.dumps``)."""
    return orjson.dumps(rows).decode()


@functools.lru_cache(maxsize=256)
def _iso(value: dt.datetime | None) -> str | None:
    """Full microseconds and offset. Cached: a batch's rows repeat the same few moments."""
    return None if value is None else value.isoformat()


class _Plan:
    __slots__ = ("attnames", "converters", "fields", "pre_save", "recordset", "relations", "sql")

    def __init__(self, model: type[models.Model]) -> None:
        meta = model._meta
        fields = [f for f in meta.concrete_fields if not f.generated and f is not meta.pk]
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in fields)
        self.fields = fields
        self.attnames = [f.attname for f in fields]
        # auto_now / auto_now_add: the field's own pre_save sets the moment on the instance.
        self.pre_save = [f for f in fields if getattr(f, "auto_now", False) or _auto_add(f)]
        self.relations: list[models.ForeignKey[Any, Any]] = [
            f for f in fields if isinstance(f, models.ForeignKey)
        ]
        head = f"INSERT INTO {quote(meta.db_table)} ({columns}) "
        json_converters = [_json_converter(f) for f in fields]
        self.recordset = connection.vendor == "postgresql" and all(
            c is not _UNSUPPORTED for c in json_converters
        )
        if self.recordset:
            types = ", ".join(f"{quote(f.column)} {f.db_type(connection)}" for f in fields)
            self.sql = f"{head}SELECT {columns} FROM json_to_recordset(%s::json) AS r({types})"  # noqa: S608 (names from the model)
            self.converters = json_converters
        else:
            self.sql = head + "VALUES "
            self.converters = [_converter(f) for f in fields]


def _auto_add(field: models.Field[Any, Any]) -> bool:
    return bool(getattr(field, "auto_now_add", False))


def _converter(field: models.Field[Any, Any]) -> Convert | None:
    """None: pass the value as it is (checked per value); else the field's own preparation."""
    kind = field.get_internal_type()
    if field.is_relation or kind in _PLAIN:
        return None
    if kind == "DateTimeField" and connection.vendor == "sqlite":
        return connection.ops.adapt_datetimefield_value
    if kind == "JSONField" and connection.vendor == "sqlite":
        encoder = getattr(field, "encoder", None)
        return lambda value: None if value is None else json.dumps(value, cls=encoder)
    return lambda value: field.get_db_prep_save(value, connection)


def _unsupported(value: Any) -> Any:  # a marker: this model cannot go as JSON
    return value


_UNSUPPORTED: Convert = _unsupported


def _json_converter(field: models.Field[Any, Any]) -> Convert | None:
    """How a value goes into the JSON document of ``json_to_recordset``."""
    kind = field.get_internal_type()
    if field.is_relation or kind in _PLAIN:
        return None
    if kind == "DateTimeField":
        return _iso
    if kind == "JSONField" and getattr(field, "encoder", None) is None:
        return lambda value: value  # nested as it is; the column's type reads it back
    return _UNSUPPORTED


_plans: dict[tuple[type[models.Model], str], _Plan] = {}


def _plan(model: type[models.Model]) -> _Plan:
    key = (model, connection.vendor)
    plan = _plans.get(key)
    if plan is None:
        plan = _plans[key] = _Plan(model)
    return plan


def bulk_insert(
    objs: Sequence[models.Model], *, ignore_conflicts: bool = False, with_ids: bool = True
) -> None:
    """INSERT ``objs`` (new instances of one model, no primary key set) with as few statements
    as the database allows, and set their primary keys. Inside the caller's transaction.

    ``ignore_conflicts``: rows that would break a unique constraint are skipped (ON CONFLICT DO
    NOTHING, both databases); primary keys are then not set (read the rows back).
    ``with_ids=False``: the keys are not read back either (the instances keep ``pk`` None)."""
    if not objs:
        return
    model = type(objs[0])
    plan = _plan(model)
    rows = [_row(plan, obj) for obj in objs]
    pk = model._meta.pk
    assert pk is not None
    with_ids = with_ids and not ignore_conflicts
    tail = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
    if with_ids:
        tail += f" RETURNING {connection.ops.quote_name(pk.column)}"
    with connection.cursor() as cursor:
        if plan.recordset:
            names = [f.column for f in plan.fields]
            document = _document([dict(zip(names, row, strict=True)) for row in rows])
            cursor.execute(plan.sql + tail, [document])
            if with_ids:
                _set_keys(objs, [r[0] for r in cursor.fetchall()])
            return
        width = len(plan.fields)
        batch = max(1, connection.ops.bulk_batch_size(list(plan.fields), objs))
        one = "(" + ", ".join(["%s"] * width) + ")"
        for start in range(0, len(objs), batch):
            chunk = rows[start : start + batch]
            sql = plan.sql + ", ".join([one] * len(chunk)) + tail
            cursor.execute(sql, [value for row in chunk for value in row])
            if with_ids:
                _set_keys(objs[start : start + batch], [r[0] for r in cursor.fetchall()])


def _row(plan: _Plan, obj: models.Model) -> list[Any]:
    for field in plan.pre_save:
        field.pre_save(obj, add=True)
    values = obj.__dict__
    for relation in plan.relations:
        # A related object assigned before it had its key (as bulk_create checks too).
        if values[relation.attname] is None and relation.is_cached(obj):
            related = relation.get_cached_value(obj)
            if related is not None:
                values[relation.attname] = related.pk
    row: list[Any] = []
    for field, attname, convert in zip(plan.fields, plan.attnames, plan.converters, strict=True):
        value = values[attname]
        if convert is not None:
            value = convert(value)
        elif value is not None and not isinstance(value, _PLAIN_TYPES):
            value = field.to_python(value)  # a lazy translation, a number as text …
            if not plan.recordset:
                value = field.get_db_prep_save(value, connection)
        row.append(value)
    return row


class _RowPlan:
    """``_Plan`` for rows given as mappings (attname -> value), primary keys given or left to
    the database: a missing field takes its default, a missing ``auto_now``/``auto_now_add``
    one the moment of the call."""

    __slots__ = ("attnames", "converters", "defaults", "fields", "moments", "recordset", "sql")

    def __init__(self, model: type[models.Model], with_pk: bool) -> None:
        meta = model._meta
        fields = [
            f for f in meta.concrete_fields if not f.generated and (with_pk or not f.primary_key)
        ]
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in fields)
        self.fields = fields
        self.attnames = [f.attname for f in fields]
        # Called per row: a default may be a callable (``dict``, a moment) or "" for text.
        self.defaults = [f.get_default for f in fields]
        self.moments = frozenset(
            f.attname for f in fields if getattr(f, "auto_now", False) or _auto_add(f)
        )
        head = f"INSERT INTO {quote(meta.db_table)} ({columns}) "
        self.recordset = connection.vendor == "postgresql"
        if self.recordset:
            self.converters = [_json_converter(f) for f in fields]
            if _UNSUPPORTED in self.converters:
                raise TypeError(f"{meta.label}: a field cannot travel as JSON")
            types = ", ".join(f"{quote(f.column)} {f.db_type(connection)}" for f in fields)
            self.sql = f"{head}SELECT {columns} FROM json_to_recordset(%s::json) AS r({types})"  # noqa: S608 (names from the model)
        else:
            self.converters = [_converter(f) for f in fields]
            self.sql = head + "VALUES (" + ", ".join(["%s"] * len(fields)) + ")"


_row_plans: dict[tuple[type[models.Model], str, bool], _RowPlan] = {}


def _row_plan(model: type[models.Model], with_pk: bool) -> _RowPlan:
    key = (model, connection.vendor, with_pk)
    plan = _row_plans.get(key)
    if plan is None:
        plan = _row_plans[key] = _RowPlan(model, with_pk)
    return plan


def _mapped_row(plan: _RowPlan, row: Mapping[str, Any], moment: dt.datetime) -> list[Any]:
    values: list[Any] = []
    for field, attname, default, convert in zip(
        plan.fields, plan.attnames, plan.defaults, plan.converters, strict=True
    ):
        if attname in row:
            value = row[attname]
        elif attname in plan.moments:
            value = moment
        else:
            value = default()
        if convert is not None:
            value = convert(value)
        elif value is not None and not isinstance(value, _PLAIN_TYPES):
            value = field.to_python(value)
            if not plan.recordset:
                value = field.get_db_prep_save(value, connection)
        values.append(value)
    return values


def insert_statement(
    model: type[models.Model], rows: Sequence[Mapping[str, Any]], *, with_pk: bool = False
) -> tuple[str, list[Any]]:
    """PostgreSQL: an INSERT of ``rows`` (each a mapping of attnames to values; ``with_pk``: the
    primary key is one of them, else the database numbers the rows) as one short statement
    with one parameter, the rows as a JSON document: for a caller that sends several such
    statements as one (``WITH a AS (INSERT …), b AS (INSERT …) SELECT …``)."""
    plan = _row_plan(model, with_pk)
    if not plan.recordset:
        raise RuntimeError("insert_statement is for PostgreSQL; use insert_rows")
    moment = clock.now()
    names = [f.column for f in plan.fields]
    document = _document(
        [dict(zip(names, _mapped_row(plan, row, moment), strict=True)) for row in rows]
    )
    return plan.sql, [document]


def insert_rows(
    model: type[models.Model], rows: Sequence[Mapping[str, Any]], *, with_pk: bool = False
) -> None:
    """INSERT ``rows`` (as for ``insert_statement``) inside the caller's transaction: one
    statement on PostgreSQL, one prepared statement run per row on SQLite (in-process)."""
    if not rows:
        return
    plan = _row_plan(model, with_pk)
    with connection.cursor() as cursor:
        if plan.recordset:
            sql, params = insert_statement(model, rows, with_pk=with_pk)
            cursor.execute(sql, params)
            return
        moment = clock.now()
        cursor.executemany(plan.sql, [_mapped_row(plan, row, moment) for row in rows])


def _set_keys(objs: Sequence[models.Model], ids: list[Any]) -> None:
    for obj, new_id in zip(objs, ids, strict=True):
        obj.pk = new_id
        obj._state.adding = False
        obj._state.db = connection.alias
