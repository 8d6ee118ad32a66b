"""``bulk_insert``: the same rows as ``bulk_create``, keys set, conflicts skipped on request;
``insert_rows``: rows given as mappings, defaults filled in as the ORM fills them."""

from __future__ import annotations

import datetime as dt

import pytest

from qoldau.core import clock
from qoldau.core.bulk import bulk_insert, insert_rows
from qoldau.core.models import OutboxMessage

pytestmark = pytest.mark.django_db


def _message(key: str, **extra: object) -> OutboxMessage:
    return OutboxMessage(
        channel="email",
        idempotency_key=key,
        recipient="a@example.kz",
        subject="Тема",
        body="Мәтін",
        headers={"Auto-Submitted": "auto-replied"},
        message_id=f"<{key}@example.kz>",
        next_attempt_at=dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC),
        **extra,
    )


def test_rows_read_back_as_written_with_their_keys() -> None:
    rows = [_message("k-1"), _message("k-2", related_type="appeals.appeal", related_id="7")]
    bulk_insert(rows)
    assert all(row.pk is not None and not row._state.adding for row in rows)
    stored = OutboxMessage.objects.get(pk=rows[1].pk)
    assert stored.idempotency_key == "k-2"
    assert stored.headers == {"Auto-Submitted": "auto-replied"}
    assert stored.next_attempt_at == dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC)
    assert stored.related_id == "7"
    assert stored.created_at is not None
    assert stored.created_at <= clock.now()
    assert stored.attempt_log == []  # the field's default


def test_ignore_conflicts_skips_rows_that_exist() -> None:
    bulk_insert([_message("k-1")])
    bulk_insert([_message("k-1"), _message("k-3")], ignore_conflicts=True)
    assert sorted(OutboxMessage.objects.values_list("idempotency_key", flat=True)) == [
        "k-1",
        "k-3",
    ]


def test_many_rows_are_split_into_statements_the_database_accepts() -> None:
    rows = [_message(f"k-{n}") for n in range(300)]
    bulk_insert(rows)
    assert OutboxMessage.objects.count() == 300
    assert len({row.pk for row in rows}) == 300


def test_rows_as_mappings_take_the_fields_defaults_and_the_moment() -> None:
    before = clock.now()
    insert_rows(
        OutboxMessage,
        [
            {
                "channel": "email",
                "idempotency_key": "m-1",
                "recipient": "a@example.kz",
                "subject": "Өтініш № 1",
                "message_id": "<m-1@example.kz>",
                "headers": {"Auto-Submitted": "auto-replied"},
                "next_attempt_at": dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC),
            }
        ],
    )
    stored = OutboxMessage.objects.get(idempotency_key="m-1")
    assert stored.subject == "Өтініш № 1"
    assert stored.headers == {"Auto-Submitted": "auto-replied"}
    assert stored.next_attempt_at == dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC)
    assert (stored.status, stored.attempts, stored.attempt_log, stored.body) == (
        "pending",
        0,
        [],
        "",
    )
    assert before <= stored.created_at <= clock.now()  # auto_now_add: the moment of the call
    assert stored.updated_at == stored.created_at


def test_rows_may_bring_their_primary_keys() -> None:
    rows = [
        {"id": 4242 + n, "channel": "email", "idempotency_key": f"p-{n}", "recipient": "a@b.kz"}
        | {"message_id": f"<p-{n}@example.kz>"}
        for n in range(3)
    ]
    insert_rows(OutboxMessage, rows, with_pk=True)
    assert sorted(OutboxMessage.objects.values_list("pk", "idempotency_key")) == [
        (4242, "p-0"),
        (4243, "p-1"),
        (4244, "p-2"),
    ]
