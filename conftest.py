"""Test-wide fixtures. Browser fixtures live in tests/browser/conftest.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english_by_default() -> Iterator[None]:
    """Tests read messages in English unless they switch language themselves."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _fresh_process_caches() -> Iterator[None]:
    """Per-process caches (API keys, deadlines, the router's queue plans) must not carry rows of
    one test into another."""
    from qoldau.accounts.services import api_key_cache_clear
    from qoldau.policy.selectors import policy_cache_clear
    from qoldau.routing.services import queue_plans_forget

    api_key_cache_clear()
    policy_cache_clear()
    queue_plans_forget()
    yield
    api_key_cache_clear()
    policy_cache_clear()
    queue_plans_forget()


@pytest.fixture(autouse=True)
def _no_committer_left() -> Iterator[None]:
    """A test that went through the intake's group committer stops it, with its connection."""
    yield
    from qoldau.appeals.intake import group_committer_stop

    group_committer_stop()


@pytest.fixture(autouse=True)
def _fresh_number_sequences(request: pytest.FixtureRequest) -> None:
    """PostgreSQL's per-year number sequences are not rolled back with a test's transaction
    (nor reset by a flush): restart them before each database test, so its first appeal of a
    year is 000001, as on a fresh database."""
    uses_db = request.node.get_closest_marker("django_db") is not None or bool(
        {"db", "transactional_db", "django_db_setup"} & set(request.fixturenames)
    )
    if not uses_db:
        return
    request.getfixturevalue("_django_db_helper")
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval(c.oid::regclass, 1, false) FROM pg_class c"
                " WHERE c.relkind = 'S' AND c.relname LIKE 'appeals_number_%%'"
            )
