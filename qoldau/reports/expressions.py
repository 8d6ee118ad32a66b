"""Database expressions the reports need and Django lacks."""

from __future__ import annotations

from typing import Any

from django.db.models import BigIntegerField, Func


class EpochBucket(Func):
    """The start of the ``size``-second bucket holding a moment, as seconds since the epoch.

    Computed natively by the database (no per-row Python call, unlike Django's ``Trunc*`` with
    a time zone on SQLite). Quarter-hours since the epoch are also local quarter-hours in every
    zone whose offset is a whole number of quarter-hours (Asia/Almaty: UTC+5).
    """

    output_field = BigIntegerField()
    arity = 1

    def __init__(self, expression: Any, size: int) -> None:
        if not isinstance(size, int) or size <= 0:
            raise ValueError("the bucket size is a positive whole number of seconds")
        self.size = size
        super().__init__(expression)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # '%%%%s' survives Func's own formatting and the backend's: strftime sees '%s'.
        template = (
            f"((CAST(strftime('%%%%s', %(expressions)s) AS INTEGER) / {self.size}) * {self.size})"
        )
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = (
            f"(FLOOR(EXTRACT(EPOCH FROM %(expressions)s) / {self.size}) * {self.size})::bigint"
        )
        return self.as_sql(compiler, connection, template=template, **extra)
