"""On PostgreSQL a rolled-back savepoint keeps the connection's prepared statements (ADR 0012)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.db import DatabaseError, IntegrityError, connection, transaction

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")


def _prepared_on_server() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return {row[0] for row in cursor.fetchall()}


def _run_until_prepared() -> str:
    """A query run often enough for psycopg to prepare it; its text as the server has it."""
    for _ in range(10):
        list(Group.objects.filter(name="operators").values_list("id", flat=True))
    found = [s for s in _prepared_on_server() if '"auth_group"."name" = $1' in s]
    assert found, "the repeated query was not prepared"
    return found[0]


def test_a_rolled_back_savepoint_keeps_prepared_statements_and_undoes_its_work() -> None:
    Group.objects.create(name="operators")
    statement = _run_until_prepared()

    def add_two() -> None:
        with transaction.atomic():
            Group.objects.create(name="supervisors")
            Group.objects.create(name="operators")  # the unique name: the savepoint rolls back

    with pytest.raises(IntegrityError):
        add_two()
    assert statement in _prepared_on_server()
    assert sorted(Group.objects.values_list("name", flat=True)) == ["operators"]


def test_a_savepoint_rollback_that_fails_raises_a_database_error() -> None:
    _run_until_prepared()

    def roll_back_to_nothing() -> None:
        with transaction.atomic():
            transaction.savepoint_rollback("no_such_savepoint")

    with pytest.raises(DatabaseError, match="savepoint"):
        roll_back_to_nothing()
    assert Group.objects.count() == 0  # the connection is usable after the inner block
