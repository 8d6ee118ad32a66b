from __future__ import annotations

import hashlib
import itertools
import threading
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from qoldau.audit.hashing import GENESIS, canonical_parts, event_hash, hashed_fields
from qoldau.audit.models import AuditChain, AuditEvent
from qoldau.audit.selectors import audit_verify_all
from qoldau.audit.services import AuditEntry, audit_record, audit_record_many
from qoldau.registry.enums import OrganisationKind
from qoldau.registry.models import Organisation
from qoldau.registry.tests.factories import make_user

pytestmark = pytest.mark.django_db


def _organisation() -> Organisation:
    return Organisation.objects.create(
        kind=OrganisationKind.UCC, name_kk="Бірыңғай байланыс орталығы", name_ru="ЕКЦ"
    )


def _drop_append_only_trigger() -> None:
    """What an intruder with database rights would do first."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP TRIGGER IF EXISTS audit_event_no_update ON audit_auditevent")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS audit_event_no_update")


def test_events_chain_by_hash_and_verify_passes() -> None:
    target = _organisation()
    first = audit_record(actor=None, action="test.one", target=target, changes={"a": 1})
    second = audit_record(actor=None, action="test.two", target=target, changes={"b": [1, 2]})
    assert (first.seq, second.seq) == (1, 2)
    assert second.prev_hash == first.hash
    assert first.target_type == "registry.organisation"
    assert first.target_id == str(target.pk)
    reports = audit_verify_all()
    main = next(r for r in reports if r.chain == "main")
    assert main.events == 2
    assert main.problems == []


def test_record_rolls_back_with_the_use_case() -> None:
    target = _organisation()

    def failing_use_case() -> None:
        with transaction.atomic():
            audit_record(actor=None, action="test.rolled_back", target=target)
            raise RuntimeError("use case failed")

    with pytest.raises(RuntimeError):
        failing_use_case()
    assert not AuditEvent.objects.filter(action="test.rolled_back").exists()
    assert AuditChain.objects.get(name="main").last_seq == 0


def test_update_is_refused_by_the_database() -> None:
    event = audit_record(actor=None, action="test.one", target=None)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="test.forged")
    assert AuditEvent.objects.get(pk=event.pk).action == "test.one"


def test_verify_detects_a_changed_row() -> None:
    for n in range(3):
        audit_record(actor=None, action=f"test.{n}", target=None, changes={"n": n})
    _drop_append_only_trigger()
    AuditEvent.objects.filter(seq=2).update(changes={"n": 99})
    with pytest.raises(CommandError):
        call_command("audit", "verify")
    problems = next(r for r in audit_verify_all() if r.chain == "main").problems
    assert problems == ["event 2 was changed after it was written"]


def test_verify_detects_a_deleted_row_in_the_middle_and_at_the_end() -> None:
    for n in range(4):
        audit_record(actor=None, action=f"test.{n}", target=None)
    _drop_append_only_trigger()
    AuditEvent.objects.filter(seq=2).delete()
    problems = next(r for r in audit_verify_all() if r.chain == "main").problems
    assert problems == ["events 2..2 are missing"]
    AuditEvent.objects.filter(seq=4).delete()
    problems = next(r for r in audit_verify_all() if r.chain == "main").problems
    assert "the chain head says 4 events, the table ends at 3" in problems


def test_verify_command_reports_an_intact_chain() -> None:
    audit_record(actor=None, action="test.one", target=None)
    from io import StringIO

    out = StringIO()
    call_command("audit", "verify", stdout=out)
    assert "main: 1 events, chain intact" in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_never_fork_the_chain() -> None:
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(
        ("file:memorydb", ":memory:")
    ):
        pytest.skip("in-memory SQLite serialises a single connection; PostgreSQL runs this")
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for i in range(10):
                audit_record(actor=None, action=f"test.thread{n}.{i}", target=None)
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert AuditEvent.objects.count() == 40
    assert next(r for r in audit_verify_all() if r.chain == "main").problems == []


# Texts that JSON escapes, or that are wider than one UTF-16 unit, in every hashed field (not
# NUL: PostgreSQL stores no NUL in text, and the input cleaning strips it).
AWKWARD = 'ҚазақшаРусский "quoted" back\\slash \x01\x1f\n\t \u2028 😀 </script>'


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"text": AWKWARD, "nested": {"z": [1, 2.5, None, True], "a": AWKWARD}},
        {"number": "1414-2026-000001", "big": 2**62, "neg": -3},
    ],
)
def test_canonical_parts_cut_exactly_what_is_hashed(changes: dict[str, object]) -> None:
    fields: dict[str, Any] = {
        "chain": "main",
        "at_iso": "2026-12-06T05:00:00.000001+00:00",
        "actor_user_id": None,
        "actor_label": AWKWARD,
        "action": "appeals.register",
        "target_type": "appeals.appeal",
        "target_id": "17",
        "changes": changes,
        "request_id": "r-1",
    }
    head, mid, tail = canonical_parts(**fields)
    for seq, prev in ((1, GENESIS), (123456789, "ab" * 32)):
        text = head + prev + mid + str(seq) + tail
        expected = event_hash(hashed_fields(**fields, seq=seq, prev_hash=prev))
        assert hashlib.sha256(text.encode("utf-8")).hexdigest() == expected


def test_many_events_appended_at_once_chain_like_single_ones() -> None:
    # On PostgreSQL the database hashes them (migration 0003); the Python verifier must agree.
    target = _organisation()
    user = make_user(organisation=None, roles=[])
    first = audit_record(actor=None, action="test.before", target=target)
    audit_record_many(
        [
            AuditEntry(actor=None, action="test.many", target=target, changes={"t": AWKWARD}),
            AuditEntry(actor=user, action="test.many", target=None, changes={"n": [1, {"x": 2}]}),
            AuditEntry(actor=None, action=AWKWARD[:80], target=target, request_id=AWKWARD[:64]),
        ]
    )
    audit_record(actor=None, action="test.after", target=target)
    events = list(AuditEvent.objects.filter(seq__gte=first.seq).order_by("seq"))
    assert [e.seq - first.seq for e in events] == [0, 1, 2, 3, 4]
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(events))
    assert events[2].actor_user_id == user.pk
    assert events[1].changes == {"t": AWKWARD}
    assert AuditChain.objects.get(name="main").last_hash == events[-1].hash
    assert all(not report.problems for report in audit_verify_all())
