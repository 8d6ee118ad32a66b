"""The intake benchmark's pgbench peer (ADR 0014) writes what the intake writes: a recorded batch
replayed by pgbench gives whole appeals, each with its event, acknowledgement, stored response
and audit record, numbered apart, and the audit chain still verifies."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.db import connection

from bench.appeals import intake_peer
from qoldau.appeals.models import Appeal, AppealEvent, IdempotencyKey, Notification
from qoldau.audit.selectors import audit_verify_all
from qoldau.core.models import OutboxMessage

pytestmark = pytest.mark.django_db(transaction=True)
PGBENCH = shutil.which("pgbench") or "/usr/lib/postgresql/15/bin/pgbench"
BATCH = 3
CLIENTS = 2
TRANSACTIONS = 4  # per client


@pytest.fixture(autouse=True)
def _postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("pgbench is PostgreSQL's")
    if not Path(PGBENCH).exists():
        pytest.skip("pgbench is not installed")


def _pgbench(script: Path) -> str:
    database = connection.settings_dict
    cmd = [PGBENCH, "-n", "-h", str(database["HOST"] or "127.0.0.1")]
    cmd += ["-p", str(database["PORT"] or 5432), "-U", str(database["USER"] or "postgres")]
    cmd += ["-c", str(CLIENTS), "-t", str(TRANSACTIONS), "-f", str(script), database["NAME"]]
    env = {**os.environ, "PGPASSWORD": str(database["PASSWORD"] or "")}
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_recorded_batch_replayed_by_pgbench_writes_whole_intakes(tmp_path: Path) -> None:
    statements = intake_peer.record(BATCH, 0)
    script = tmp_path / "peer.sql"
    script.write_text(intake_peer.script(statements, BATCH, 0), encoding="utf-8")
    connection.close()  # pgbench's clients and this one must not share a transaction

    output = _pgbench(script)

    assert "number of failed transactions: 0" in output
    expected = BATCH * (1 + CLIENTS * TRANSACTIONS)
    assert Appeal.objects.count() == expected
    assert Appeal.objects.values("number").distinct().count() == expected
    assert AppealEvent.objects.filter(code="registered").count() == expected
    keys = IdempotencyKey.objects.filter(status_code=201)
    assert keys.count() == expected
    numbers = dict(Appeal.objects.values_list("id", "number"))
    assert all(key.response["number"] == numbers.get(key.appeal_id or 0) for key in keys)
    assert OutboxMessage.objects.values("message_id").distinct().count() == expected
    for notification in Notification.objects.all():
        message = OutboxMessage.objects.get(message_id=notification.outbox_message_id)
        assert notification.appeal.number in message.subject
    reports = audit_verify_all()
    assert sum(report.events for report in reports) == expected + 1  # and the API key's issue
    assert [problem for report in reports for problem in report.problems] == []
