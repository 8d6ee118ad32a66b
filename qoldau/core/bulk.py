"""``bulk_insert``: a multi-row INSERT of new model instances for hot write paths (ADR 0009).

``QuerySet.bulk_create`` compiles its statement anew on every call and sends each value of
each row through its field's ``get_db_prep_save`` (a dozen calls per value): for the API
intake's group commit that was most of its CPU. Here the column list and a converter per
field are worked out once per (model, database vendor); plain values (text, numbers, booleans,
foreign keys) pass as they are, anything else still goes through its field. Same rows, same
defaults (``auto_now``/``auto_now_add`` via ``pre_save``), primary keys set from RETURNING.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection, models

_PLAIN = frozenset(
    {
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
_PLAIN_TYPES = (str, int, bool)  # bool is an int; type checked per value, not trusted

Convert = Callable[[Any], Any]


class _Plan:
    __slots__ = ("attnames", "converters", "pre_save", "relations", "sql_head", "width")

    def __init__(self, model: type[models.Model]) -> None:
        meta = model._meta
        fields = [f for f in meta.concrete_fields if not f.generated and f is not meta.pk]
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in fields)
        self.width = len(fields)
        self.sql_head = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES "  # noqa: S608 (names from the model)
        self.attnames = [f.attname for f in fields]
        # auto_now / auto_now_add: the field's own pre_save sets the moment on the instance.
        self.pre_save = [f for f in fields if getattr(f, "auto_now", False) or _auto_add(f)]
        self.converters = [_converter(f) for f in fields]
        self.relations: list[models.ForeignKey[Any, Any]] = [
            f for f in fields if isinstance(f, models.ForeignKey)
        ]


def _auto_add(field: models.Field[Any, Any]) -> bool:
    return bool(getattr(field, "auto_now_add", False))


def _converter(field: models.Field[Any, Any]) -> Convert | None:
    """None: pass the value as it is (checked per value); else the field's own preparation."""
    kind = field.get_internal_type()
    if field.is_relation or kind in _PLAIN:
        return None
    if kind == "DateTimeField":
        if connection.vendor == "postgresql":
            return None  # psycopg adapts aware datetimes itself
        return connection.ops.adapt_datetimefield_value
    return lambda value: field.get_db_prep_save(value, connection)


_plans: dict[tuple[type[models.Model], str], _Plan] = {}


def _plan(model: type[models.Model]) -> _Plan:
    key = (model, connection.vendor)
    plan = _plans.get(key)
    if plan is None:
        plan = _plans[key] = _Plan(model)
    return plan


def bulk_insert(objs: Sequence[models.Model], *, ignore_conflicts: bool = False) -> None:
    """INSERT ``objs`` (new instances of one model, no primary key set) with as few statements
    as the database allows, and set their primary keys. Inside the caller's transaction.

    ``ignore_conflicts``: rows that would break a unique constraint are skipped (ON CONFLICT DO
    NOTHING, both databases); primary keys are then not set (read the rows back)."""
    if not objs:
        return
    model = type(objs[0])
    plan = _plan(model)
    fields = model._meta.concrete_fields
    params: list[Any] = []
    for obj in objs:
        for field in plan.pre_save:
            field.pre_save(obj, add=True)
        values = obj.__dict__
        for relation in plan.relations:
            # A related object assigned before it had its key (as bulk_create checks too).
            if values[relation.attname] is None and relation.is_cached(obj):
                related = relation.get_cached_value(obj)
                if related is not None:
                    values[relation.attname] = related.pk
        for attname, convert in zip(plan.attnames, plan.converters, strict=True):
            value = values[attname]
            if convert is not None:
                value = convert(value)
            elif value is not None and not isinstance(value, _PLAIN_TYPES):
                value = _field(fields, attname).get_db_prep_save(value, connection)
            params.append(value)
    batch = max(1, connection.ops.bulk_batch_size(list(fields), objs))
    row = "(" + ", ".join(["%s"] * plan.width) + ")"
    pk = model._meta.pk
    assert pk is not None
    tail = (
        " ON CONFLICT DO NOTHING"
        if ignore_conflicts
        else f" RETURNING {connection.ops.quote_name(pk.column)}"
    )
    with connection.cursor() as cursor:
        for start in range(0, len(objs), batch):
            chunk = objs[start : start + batch]
            sql = plan.sql_head + ", ".join([row] * len(chunk)) + tail
            cursor.execute(sql, params[start * plan.width : (start + len(chunk)) * plan.width])
            if ignore_conflicts:
                continue
            ids = [r[0] for r in cursor.fetchall()]
            for obj, new_id in zip(chunk, ids, strict=True):
                obj.pk = new_id
                obj._state.adding = False
                obj._state.db = connection.alias


def _field(fields: Sequence[models.Field[Any, Any]], attname: str) -> models.Field[Any, Any]:
    return next(f for f in fields if f.attname == attname)
