"""Registration numbers "1414-2026-000123": one counter row per year, locked per number.

``SELECT … FOR UPDATE`` serialises writers on PostgreSQL; SQLite runs write transactions one at a
time (IMMEDIATE mode), so the same code is safe on both. The number is issued inside the caller's
transaction: if registration rolls back, the number is not used up.
"""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction

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
    counter = NumberCounter.objects.select_for_update().filter(year=year).first()
    if counter is None:
        try:
            with transaction.atomic():
                NumberCounter.objects.create(year=year, last=0)
        except IntegrityError:
            pass  # another transaction created this year's row first
        counter = NumberCounter.objects.select_for_update().get(year=year)
    first = counter.last + 1
    counter.last += count
    counter.save(update_fields=["last"])
    return [format_number(year, sequence) for sequence in range(first, counter.last + 1)]
