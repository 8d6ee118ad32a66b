"""Bulk inserts for the import: the ORM spends most of a large import preparing values field by
field, so new rows go in as plain tuples — ``COPY`` on PostgreSQL, multi-row ``INSERT`` on
SQLite. Used only by ``importing.py``, inside its transaction."""

from __future__ import annotations

import sqlite3
from typing import Any

from django.db import connection
from django.db.models import Model


def max_parameters() -> int:
    """Parameters one statement may carry (SQLite's limit is a compile option)."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        return min(30000, int(connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)))
    return 30000


def bulk_insert(model: type[Model], names: list[str], rows: list[tuple[Any, ...]]) -> None:
    """INSERT many rows without building model instances: the ORM spends most of a large
    import preparing values field by field. ``rows`` hold values already adapted."""
    if not rows:
        return
    meta = model._meta
    fields = [meta.get_field(name) for name in names]
    columns = ", ".join(
        connection.ops.quote_name(str(getattr(field, "column", field.name))) for field in fields
    )
    table = connection.ops.quote_name(meta.db_table)
    if connection.vendor == "postgresql":
        # COPY: psycopg streams the rows; a statement with thousands of parameters spends
        # most of its time being parsed on the client.
        with connection.cursor() as wrapper:
            copy_sql = f"COPY {table} ({columns}) FROM STDIN"
            with wrapper.cursor.copy(copy_sql) as copy:
                for row in rows:
                    copy.write_row(row)
        return
    row_marks = "(" + ", ".join(["%s"] * len(names)) + ")"
    per_statement = max(1, min(1000, max_parameters() // len(names)))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            # One statement per chunk: a round trip per row would dominate on PostgreSQL.
            values = ", ".join([row_marks] * len(chunk))
            sql = f"INSERT INTO {table} ({columns}) VALUES {values}"  # noqa: S608 (model names)
            cursor.execute(sql, [value for row in chunk for value in row])
