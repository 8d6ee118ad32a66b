"""Registration numbers "1414-2026-000123", unique per year on both databases (ADR 0007).

- PostgreSQL: one sequence per year (``qoldau_appeal_numbers``, migration 0003), no row lock, so
  concurrent registrations do not wait for each other's commit. A sequence is not rolled back:
  a registration that fails after taking its number leaves a gap in the year's numbers.
- SQLite: one counter row per year, incremented in the caller's transaction (SQLite runs write
  transactions one at a time, IMMEDIATE mode); a rolled-back registration leaves no gap.
The unique index on ``Appeal.number`` guards both.
"""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, connection, transaction

from qoldau.appeals.models import NumberCounter


def format_number(year: int, sequence: int) -> str:
    prefix = getattr(settings, "APPEALS_NUMBER_PREFIX", "1414")
    return f"{prefix}-{year}-{sequence:06d}"


def next_number(year: int) -> str:
    """The next number of ``year``; call inside a transaction."""
    return next_numbers(year, 1)[0]


def next_numbers(year: int, count: int) -> list[str]:
    """The next ``count`` consecutive numbers of ``year``, with one lock of the counter row (a
    group commit numbers its whole batch at once); call inside a transaction."""
    if count < 1:
        return []
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT qoldau_appeal_numbers(%s, %s)", [year, count])
            return [format_number(year, int(row[0])) for row in cursor.fetchall()]
    # One statement takes the year's row (SQLite: the write lock) and moves it by ``count``.
    table = connection.ops.quote_name(NumberCounter._meta.db_table)
    bump = f'UPDATE {table} SET "last" = "last" + %s WHERE "year" = %s RETURNING "last"'  # noqa: S608 (names from the model)
    with connection.cursor() as cursor:
        cursor.execute(bump, [count, year])
        row = cursor.fetchone()
        if row is None:
            try:
                with transaction.atomic():
                    NumberCounter.objects.create(year=year, last=0)
            except IntegrityError:
                pass  # another transaction created this year's row first
            cursor.execute(bump, [count, year])
            row = cursor.fetchone()
    last = int(row[0])
    return [format_number(year, sequence) for sequence in range(last - count + 1, last + 1)]


_sequences_made: set[int] = set()


def number_sequence(year: int) -> str:
    """PostgreSQL: the name of ``year``'s number sequence, made first if it is missing (the
    migration makes those of 2016-2100; ``qoldau_appeal_numbers`` makes any other on first use).
    Call it outside a transaction the first time: a sequence made inside one that then rolls
    back would be gone while this process remembers it as made."""
    name = f"appeals_number_{int(year)}"
    if year not in _sequences_made:
        with connection.cursor() as cursor:
            cursor.execute("SELECT qoldau_appeal_numbers(%s, 0)", [year])
        _sequences_made.add(year)
    return name
