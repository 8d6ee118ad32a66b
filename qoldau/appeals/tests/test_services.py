"""Registration, numbering, transitions, deadlines, events and the overdue sweep (R8, R32)."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection, connections

from qoldau.appeals.enums import Status
from qoldau.appeals.models import Appeal, AppealEvent, Handoff, Notification, NumberCounter
from qoldau.appeals.numbering import next_number
from qoldau.appeals.presentation import deadline_of, event_text
from qoldau.appeals.services import (
    appeal_answer,
    appeal_close,
    appeal_merge,
    appeal_refer,
    appeal_register,
    appeal_reopen,
    appeal_sweep_overdue,
    appeal_take,
    appeal_transfer,
)
from qoldau.appeals.tests.conftest import VALID_IIN, appeal_data
from qoldau.appeals.transitions import TRANSITIONS, transition_target
from qoldau.audit.models import AuditEvent
from qoldau.core.errors import Conflict, PermissionDenied, ValidationFailed

pytestmark = pytest.mark.django_db
ALMATY = ZoneInfo("Asia/Almaty")


def test_register_normalises_the_applicant_and_numbers_the_appeal(operator: Any) -> None:
    appeal = appeal_register(actor=operator, data=appeal_data())
    assert appeal.number.startswith("1414-")
    assert appeal.number.endswith("-000001")
    assert appeal.applicant_phone == "+77011234567"
    assert appeal.applicant_iin_bin == VALID_IIN
    assert appeal.applicant_email == "asel@example.kz"
    assert appeal.line is not None
    assert appeal.line.code == "1414"
    assert appeal.status == Status.REGISTERED
    assert appeal.due_rule_id is not None
    assert "p.8" in appeal.due_citation
    assert list(appeal.events.values_list("code", flat=True)) == ["registered"]
    assert AuditEvent.objects.filter(action="appeals.register", target_id=str(appeal.pk)).exists()
    # The applicant gave an e-mail: the acknowledgement is kept for the outbox.
    assert Notification.objects.filter(appeal=appeal, code="acknowledgement").count() == 1
    second = appeal_register(actor=operator, data=appeal_data())
    assert second.number.endswith("-000002")


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("iin_bin", "900101399990", "iin_check_digit"),
        ("phone", "12345", "phone_not_kz"),
        ("email", "not-an-email", "email_format"),
        ("region", "KZ-99", "unknown_region"),
        ("service", "no-such-service", "unknown_service"),
        ("content", "   ", "required"),
        ("content", "x" * 20_001, "too_long"),
        ("line", "9999", "unknown_line"),
    ],
)
def test_bad_input_names_the_field_and_stores_nothing(
    operator: Any, field: str, value: str, code: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        appeal_register(actor=operator, data=appeal_data(**{field: value}))
    assert [(e.field, e.code) for e in caught.value.errors] == [(field, code)]
    assert Appeal.objects.count() == 0
    assert NumberCounter.objects.filter(last__gt=0).count() == 0


def test_complaints_require_their_fields(operator: Any, org_a: Any) -> None:
    with pytest.raises(ValidationFailed) as caught:
        appeal_register(
            actor=operator,
            data=appeal_data(category="complaint", complaint_type="officials"),
        )
    assert {e.field for e in caught.value.errors} == {
        "complaint_body",
        "official_name",
        "motives",
        "demands",
    }
    with pytest.raises(ValidationFailed) as caught:
        appeal_register(
            actor=operator, data=appeal_data(category="complaint", complaint_type="procedure")
        )
    assert {e.field for e in caught.value.errors} == {"service", "non_compliance"}
    appeal = appeal_register(
        actor=operator,
        data=appeal_data(
            category="complaint",
            complaint_type="procedure",
            service=org_a.service.register_number,
            non_compliance="Срок оказания услуги нарушен на 10 дней.",
        ),
    )
    assert appeal.organisation_id == org_a.organisation.pk
    assert Appeal.objects.count() == 1


def test_deadline_is_two_working_days_across_nowruz(operator: Any) -> None:
    with time_machine.travel(dt.datetime(2025, 3, 20, 9, 0, tzinfo=ALMATY), tick=False):
        appeal = appeal_register(actor=operator, data=appeal_data(channel="email"))
    assert appeal.due_at == dt.datetime(2025, 3, 27, 23, 59, 59, tzinfo=ALMATY)
    with time_machine.travel(dt.datetime(2025, 3, 27, 12, 0, tzinfo=ALMATY), tick=False):
        deadline = deadline_of(appeal)
        assert not deadline.overdue
        assert deadline.describe() == "11 hours left"
    with time_machine.travel(dt.datetime(2025, 3, 28, 1, 0, tzinfo=ALMATY), tick=False):
        assert deadline_of(appeal).overdue
        assert appeal_sweep_overdue() == 1
        assert appeal_sweep_overdue() == 0  # flagged once
    appeal.refresh_from_db()
    assert appeal.overdue_at is not None
    assert appeal.events.filter(code="overdue").count() == 1


def test_transitions_table() -> None:
    assert transition_target("take", Status.REGISTERED) == Status.IN_PROGRESS
    assert transition_target("answer", Status.CLOSED) is None
    assert transition_target("reopen", Status.CLOSED) == Status.IN_PROGRESS
    assert transition_target("merge", Status.MERGED) is None
    assert set(TRANSITIONS) >= {"take", "answer", "refer", "transfer", "close", "reopen"}


def test_lifecycle_with_events_in_the_readers_language(operator: Any, supervisor: Any) -> None:
    appeal = appeal_register(actor=operator, data=appeal_data())
    appeal_take(actor=operator, appeal_id=appeal.pk)
    handoff = appeal_transfer(
        actor=operator, appeal_id=appeal.pk, to_user=supervisor, note="Нужен специалист"
    )
    assert handoff.to_user == supervisor
    appeal_take(actor=supervisor, appeal_id=appeal.pk)
    appeal_answer(actor=supervisor, appeal_id=appeal.pk, text="Справку выдаёт ЦОН.")
    with pytest.raises(Conflict):
        appeal_answer(actor=supervisor, appeal_id=appeal.pk, text="Ещё раз")
    with pytest.raises(ValidationFailed):
        appeal_close(actor=supervisor, appeal_id=appeal.pk, measures_taken=" ")
    appeal_close(actor=supervisor, appeal_id=appeal.pk, measures_taken="Дана консультация.")
    appeal_reopen(actor=supervisor, appeal_id=appeal.pk, reason="Заявитель перезвонил")
    appeal.refresh_from_db()
    assert appeal.status == Status.IN_PROGRESS
    assert appeal.closed_at is None
    codes = list(appeal.events.values_list("code", flat=True))
    assert codes == [
        "registered",
        "taken",
        "transferred",
        "taken",
        "answered",
        "closed",
        "reopened",
    ]
    from django.utils import translation

    event = AppealEvent.objects.get(appeal=appeal, code="answered")
    with translation.override("ru"):
        assert event_text(event) == "Дан ответ."
    with translation.override("kk"):
        assert event_text(event) == "Жауап берілді."
    assert Notification.objects.filter(appeal=appeal, code="answer").count() == 1
    assert Notification.objects.filter(appeal=appeal, code="transfer").count() == 1


def test_referral_gives_the_body_to_the_applicant(operator: Any) -> None:
    appeal = appeal_register(actor=operator, data=appeal_data(category="referral"))
    appeal_refer(
        actor=operator,
        appeal_id=appeal.pk,
        body_name="Министерство юстиции",
        body_details="Астана, тел. 8 7172 58 00 58",
    )
    appeal.refresh_from_db()
    assert appeal.status == Status.REFERRED
    assert Handoff.objects.get(appeal=appeal).body_name == "Министерство юстиции"
    note = Notification.objects.get(appeal=appeal, code="referral")
    assert note.params["details"].startswith("Астана")


def test_merge_duplicate(operator: Any) -> None:
    first = appeal_register(actor=operator, data=appeal_data())
    second = appeal_register(actor=operator, data=appeal_data())
    appeal_merge(actor=operator, appeal_id=second.pk, into_number=first.number)
    second.refresh_from_db()
    assert second.status == Status.MERGED
    assert second.merged_into == first
    assert first.events.filter(code="duplicate_joined").exists()


def test_partner_cannot_work_appeals(operator: Any, org_a: Any) -> None:
    appeal = appeal_register(actor=operator, data=appeal_data())
    with pytest.raises(PermissionDenied):
        appeal_take(actor=org_a.user, appeal_id=appeal.pk)
    appeal.refresh_from_db()
    assert appeal.status == Status.REGISTERED


@pytest.mark.django_db(transaction=True)
def test_numbers_are_unique_under_concurrency(operator: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("threads need a server database; SQLite serialises writers anyway")
    numbers: list[str] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(10):
                from django.db import transaction

                with transaction.atomic():
                    numbers.append(next_number(2026))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(numbers) == 80
    assert len(set(numbers)) == 80
    sequences = sorted(int(n.rsplit("-", 1)[1]) for n in numbers)
    assert sequences == list(range(sequences[0], sequences[0] + 80))  # nothing rolled back


def test_numbering_sequential_on_any_database(db: None) -> None:
    from django.db import transaction

    with transaction.atomic():
        assert next_number(2030).endswith("2030-000001")
        assert next_number(2030).endswith("2030-000002")


def test_commands_sweep_purge_and_demo(db: None) -> None:
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("appeals", "demo", stdout=out)
    call_command("appeals", "demo", stdout=out)
    call_command("appeals", "sweep", stdout=out)
    call_command("appeals", "purge-keys", stdout=out)
    assert "registered 4 demo appeals" in out.getvalue()
    assert "registered 0 demo appeals" in out.getvalue()
    assert Appeal.objects.count() == 4


def test_an_appeal_is_never_lost_for_want_of_a_deadline_rule(operator: Any) -> None:
    from qoldau.policy.models import PolicyRule

    PolicyRule.objects.filter(code="email_reply").delete()
    appeal = appeal_register(actor=operator, data=appeal_data(channel="email"))
    assert appeal.due_at is None
    assert appeal.events.filter(code="no_deadline_rule").exists()
