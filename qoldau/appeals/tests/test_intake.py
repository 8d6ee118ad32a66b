"""The API intake's group commit (ADR 0007): a batch registers every appeal with its own number,
deadline, event, audit record and acknowledgement; twins and retries replay; a failing item
loses or poisons nothing else."""

from __future__ import annotations

import datetime as dt
import json
import threading
from typing import Any

import pytest
from django.db import connection, connections
from django.test import Client

from qoldau.accounts.services import api_key_authenticate
from qoldau.appeals.api import appeal_as_json
from qoldau.appeals.inputs import clean_appeal_input
from qoldau.appeals.intake import (
    IntakeRequest,
    IntakeResult,
    group_committer,
    intake_register_batch,
    request_fingerprint,
)
from qoldau.appeals.models import Appeal, AppealEvent, IdempotencyKey, Notification
from qoldau.appeals.tests.conftest import appeal_data
from qoldau.audit.models import AuditEvent
from qoldau.audit.selectors import audit_verify_all
from qoldau.core.errors import Conflict
from qoldau.core.models import OutboxMessage

pytestmark = pytest.mark.django_db


def _request(raw_key: str, key: str, data: dict[str, Any], render: Any = None) -> IntakeRequest:
    actor = api_key_authenticate(raw_key)
    assert actor is not None
    return IntakeRequest(
        actor=actor,
        client=f"api-key:{actor.prefix}",
        key=key,
        fingerprint=request_fingerprint(data),
        cleaned=clean_appeal_input(data),
        render=render or appeal_as_json,
        language="en",
        request_id=f"req-{key}",
    )


def _body(n: int) -> dict[str, Any]:
    return appeal_data(channel="api", content=f"Вопрос номер {n}", email=f"a{n}@example.kz")


def _result(outcome: Any) -> IntakeResult:
    assert isinstance(outcome, IntakeResult), outcome
    return outcome


def test_a_batch_registers_every_appeal_completely(org_a: Any) -> None:
    outcomes = intake_register_batch([_request(org_a.key, f"k{n}", _body(n)) for n in range(5)])
    results = [_result(o) for o in outcomes]
    assert [r.status for r in results] == [201] * 5
    assert not any(r.replayed for r in results)
    numbers = [r.body["number"] for r in results]
    assert len(set(numbers)) == 5
    sequences = sorted(int(n.rsplit("-", 1)[1]) for n in numbers)
    assert sequences == list(range(sequences[0], sequences[0] + 5))
    for result in results:
        appeal = Appeal.objects.get(number=result.body["number"])
        assert appeal.due_at is not None
        assert appeal.due_citation.startswith("Rules p.8")
        assert dt.datetime.fromisoformat(result.body["due_at"]) == appeal.due_at
        assert result.body["due_rule_id"] == appeal.due_rule_id
        assert list(appeal.events.values_list("code", flat=True)) == ["registered"]
        assert Notification.objects.get(appeal=appeal).code == "acknowledgement"
        outbox = OutboxMessage.objects.get(related_id=str(appeal.pk))
        assert appeal.number in outbox.subject
        assert outbox.message_id == Notification.objects.get(appeal=appeal).outbox_message_id
        audit = AuditEvent.objects.get(action="appeals.register", target_id=str(appeal.pk))
        assert audit.changes == {"number": appeal.number, "channel": "api"}
        key = IdempotencyKey.objects.get(appeal=appeal)
        assert (key.status_code, key.response) == (201, result.body)
    assert {a.request_id for a in AuditEvent.objects.filter(action="appeals.register")} == {
        f"req-k{n}" for n in range(5)
    }
    assert all(not report.problems for report in audit_verify_all())


def test_twins_in_one_batch_replay_or_conflict(org_a: Any) -> None:
    body = _body(1)
    outcomes = intake_register_batch(
        [
            _request(org_a.key, "twin", body),
            _request(org_a.key, "twin", body),
            _request(org_a.key, "twin", _body(2)),
        ]
    )
    first, second = _result(outcomes[0]), _result(outcomes[1])
    assert (first.status, first.replayed) == (201, False)
    assert (second.status, second.replayed, second.body) == (201, True, first.body)
    assert isinstance(outcomes[2], Conflict)
    assert outcomes[2].field == "Idempotency-Key"
    assert Appeal.objects.count() == 1


def test_a_retry_in_a_later_batch_replays_the_stored_response(org_a: Any) -> None:
    first = _result(intake_register_batch([_request(org_a.key, "again", _body(1))])[0])
    outcomes = intake_register_batch(
        [
            _request(org_a.key, "again", _body(1)),
            _request(org_a.key, "again", _body(9)),
            _request(org_a.key, "fresh", _body(3)),
        ]
    )
    replay = _result(outcomes[0])
    assert (replay.status, replay.replayed, replay.body) == (201, True, first.body)
    assert isinstance(outcomes[1], Conflict)
    assert _result(outcomes[2]).status == 201
    assert Appeal.objects.count() == 2
    assert AuditEvent.objects.filter(action="appeals.register").count() == 2


def test_a_failing_item_neither_loses_nor_poisons_the_others(org_a: Any) -> None:
    def broken(appeal: Appeal) -> dict[str, Any]:
        raise RuntimeError("render failed")

    outcomes = intake_register_batch(
        [
            _request(org_a.key, "ok-1", _body(1)),
            _request(org_a.key, "bad", _body(2), render=broken),
            _request(org_a.key, "ok-2", _body(3)),
        ]
    )
    assert _result(outcomes[0]).status == 201
    assert isinstance(outcomes[1], RuntimeError)
    assert _result(outcomes[2]).status == 201
    assert sorted(Appeal.objects.values_list("content", flat=True)) == [
        "Вопрос номер 1",
        "Вопрос номер 3",
    ]
    assert not IdempotencyKey.objects.filter(key="bad").exists()
    assert AuditEvent.objects.filter(action="appeals.register").count() == 2
    assert AppealEvent.objects.count() == OutboxMessage.objects.count() == 2
    assert all(not report.problems for report in audit_verify_all())


def test_an_appeal_without_an_email_gets_no_acknowledgement(org_a: Any) -> None:
    result = _result(
        intake_register_batch([_request(org_a.key, "quiet", appeal_data(email=""))])[0]
    )
    assert result.status == 201
    assert Notification.objects.count() == OutboxMessage.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_through_the_committer_are_all_committed(
    reference_data: None, org_a: Any
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("threads need a server database; SQLite serialises writers anyway")
    answers: list[tuple[int, str, str]] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        try:
            for attempt in range(2 if n % 4 == 0 else 1):  # every fourth one retried
                response = Client().post(
                    "/api/v1/appeals/",
                    data=json.dumps(_body(n)),
                    content_type="application/json",
                    headers={"X-API-Key": org_a.key, "Idempotency-Key": f"c-{n}"},
                )
                with lock:
                    answers.append(
                        (
                            response.status_code,
                            response.json()["number"],
                            response.headers.get("Idempotent-Replayed", "") + str(attempt),
                        )
                    )
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == 16 + 4
    assert {status for status, _n, _r in answers} == {201}
    assert sum(1 for _s, _n, replayed in answers if replayed == "true1") == 4
    assert len({number for _s, number, _r in answers}) == 16
    assert Appeal.objects.count() == 16
    assert OutboxMessage.objects.count() == 16
    assert group_committer().registered >= 16
    assert all(not report.problems for report in audit_verify_all())


@pytest.mark.django_db(transaction=True)
def test_a_statement_failing_in_the_pipeline_loses_nothing_else(
    reference_data: None, org_a: Any
) -> None:
    # Outside any transaction, as in the committer: the failure surfaces inside psycopg's
    # pipeline (ADR 0009), the connection is reset, and each request is registered on its own.
    if connection.vendor != "postgresql":
        pytest.skip("SQLite does not enforce the column's length; no statement fails there")
    bad = _request(org_a.key, "too-long", _body(2))
    bad.cleaned.channel = "x" * 40  # past the column's 12 characters: the INSERT fails
    outcomes = intake_register_batch(
        [_request(org_a.key, "ok-1", _body(1)), bad, _request(org_a.key, "ok-2", _body(3))]
    )
    assert _result(outcomes[0]).status == 201
    assert isinstance(outcomes[1], Exception)
    assert _result(outcomes[2]).status == 201
    assert Appeal.objects.count() == 2
    assert not IdempotencyKey.objects.filter(key="too-long").exists()
    assert all(not report.problems for report in audit_verify_all())
    again = intake_register_batch([_request(org_a.key, "after", _body(4))])
    assert _result(again[0]).status == 201  # the connection is usable afterwards
