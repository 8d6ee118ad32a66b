"""The store -> process -> acknowledge pipeline on the in-memory server: exactly once through
crashes at every step, UIDVALIDITY changes, handler failures and servers that are down."""

from __future__ import annotations

import random
from typing import Any

import pytest
import time_machine
from django.core.files.storage import default_storage

from qoldau.audit.models import AuditEvent
from qoldau.core import clock
from qoldau.core.errors import NotFound
from qoldau.core.models import OutboxMessage
from qoldau.core.outbox import outbox_enqueue
from qoldau.mail import selectors, services
from qoldau.mail.adapters.memory import SEEN, MemoryServer
from qoldau.mail.enums import InboundStatus
from qoldau.mail.models import InboundMessage, Mailbox
from qoldau.mail.tests.conftest import CrashingClient, Recorder, SimulatedCrash, make_mail

pytestmark = pytest.mark.django_db


def _deliver(memory: MemoryServer, count: int, **kwargs: Any) -> list[bytes]:
    raws = [make_mail(subject=f"Хат {n}", **kwargs) for n in range(count)]
    for raw in raws:
        memory.deliver("hotline", raw)
    return raws


def _flags(memory: MemoryServer) -> list[set[str]]:
    return [m.flags for _uid, m in sorted(memory.folder("hotline").messages.items())]


def test_poll_stores_processes_and_marks_each_message_once(
    mailbox: Mailbox, memory: MemoryServer, recorder: Recorder
) -> None:
    _deliver(memory, 3)
    report = services.mail_poll(mailbox_id=mailbox.pk)
    assert report.fetched is not None
    assert (report.fetched.stored, report.processed, report.acknowledged) == (3, 3, 3)
    assert report.error == ""
    messages = list(InboundMessage.objects.order_by("uid"))
    assert [m.status for m in messages] == [InboundStatus.ACKNOWLEDGED] * 3
    assert all(m.processed_at and m.acknowledged_at for m in messages)
    assert sorted(recorder.calls) == [m.pk for m in messages]
    assert recorder.effects() == {m.pk: 1 for m in messages}
    assert _flags(memory) == [{SEEN}] * 3
    first = messages[0]
    assert first.subject == "Хат 0"
    assert first.from_address == "aigul@example.kz"
    assert first.from_name == "Айгүл Серікқызы"
    assert first.language == "kk"
    assert first.classification == "normal"
    assert first.server_note == "marked \\Seen"
    # The subscriber got the stored message, parsed, inside the processing transaction.
    payload = recorder.payloads[0]["message"]
    assert payload.text.startswith("Сәлеметсіз бе!")
    assert AuditEvent.objects.filter(action="mail.inbound_processed").count() == 3


def test_polling_again_does_nothing(
    mailbox: Mailbox, memory: MemoryServer, recorder: Recorder
) -> None:
    _deliver(memory, 2)
    services.mail_poll(mailbox_id=mailbox.pk)
    fetches = memory.fetches
    again = services.mail_poll(mailbox_id=mailbox.pk)
    assert again.fetched is not None
    assert (again.fetched.listed, again.processed, again.acknowledged) == (0, 0, 0)
    assert memory.fetches == fetches
    assert InboundMessage.objects.count() == 2
    assert len(recorder.calls) == 2


def test_fetching_does_not_mark_anything_seen(mailbox: Mailbox, memory: MemoryServer) -> None:
    _deliver(memory, 2)
    report = services.mail_fetch(mailbox_id=mailbox.pk)
    assert report.stored == 2
    assert _flags(memory) == [set(), set()]
    assert set(InboundMessage.objects.values_list("status", flat=True)) == {InboundStatus.STORED}


def test_a_crash_between_store_and_process_is_finished_exactly_once(
    mailbox: Mailbox, memory: MemoryServer, recorder: Recorder
) -> None:
    _deliver(memory, 3)
    services.mail_fetch(mailbox_id=mailbox.pk)  # ...and the process dies here
    assert recorder.calls == []
    services.mail_poll(mailbox_id=mailbox.pk)
    services.mail_poll(mailbox_id=mailbox.pk)
    ids = list(InboundMessage.objects.values_list("pk", flat=True))
    assert recorder.effects() == dict.fromkeys(ids, 1)
    assert _flags(memory) == [{SEEN}] * 3


def test_a_crash_inside_the_processing_transaction_leaves_no_trace(
    mailbox: Mailbox, memory: MemoryServer, recorder: Recorder
) -> None:
    _deliver(memory, 1)
    services.mail_fetch(mailbox_id=mailbox.pk)
    message = InboundMessage.objects.get()
    recorder.crash_next = 1  # the handler did its work, then the process was killed
    with pytest.raises(SimulatedCrash):
        services.mail_process(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == InboundStatus.STORED
    assert message.text == ""  # the parse was rolled back with the rest
    assert recorder.effects() == {}
    assert not message.attachments.exists()
    assert services.mail_process(message_id=message.pk) == "processed"
    assert services.mail_process(message_id=message.pk) == "already"
    assert recorder.calls == [message.pk, message.pk]  # called twice, ...
    assert recorder.effects() == {message.pk: 1}  # ... committed once


def test_a_failing_handler_marks_nothing_and_is_retried_after_a_backoff(
    mailbox: Mailbox, memory: MemoryServer, recorder: Recorder
) -> None:
    _deliver(memory, 1)
    recorder.fail_next = 1
    with time_machine.travel("2024-03-01 10:00:00+00:00", tick=False):
        report = services.mail_poll(mailbox_id=mailbox.pk)
        assert (report.processed, report.failed, report.acknowledged) == (0, 1, 0)
        message = InboundMessage.objects.get()
        assert message.status == InboundStatus.STORED
        assert message.process_attempts == 1
        assert "the appeals app failed" in message.last_error
        assert message.next_attempt_at is not None
        assert _flags(memory) == [set()]  # not marked on the server
        assert recorder.effects() == {}
        # Not due yet: the next poll leaves it alone.
        assert services.mail_poll(mailbox_id=mailbox.pk).processed == 0
    with time_machine.travel("2024-03-01 10:05:00+00:00", tick=False):
        report = services.mail_poll(mailbox_id=mailbox.pk)
    assert (report.processed, report.acknowledged) == (1, 1)
    message.refresh_from_db()
    assert message.status == InboundStatus.ACKNOWLEDGED
    assert message.last_error == ""
    assert recorder.effects() == {message.pk: 1}


def test_a_crash_in_the_middle_of_fetching_keeps_what_was_stored(
    mailbox: Mailbox, memory: MemoryServer, recorder: Recorder
) -> None:
    _deliver(memory, 5)
    CrashingClient.crash_on_fetch = 3
    with pytest.raises(SimulatedCrash):
        services.mail_poll(mailbox_id=mailbox.pk)
    assert InboundMessage.objects.count() == 2
    mailbox.refresh_from_db()
    assert mailbox.sync_uidvalidity is None  # the cursor moves only after a complete fetch
    services.mail_poll(mailbox_id=mailbox.pk)
    assert sorted(InboundMessage.objects.values_list("uid", flat=True)) == [1, 2, 3, 4, 5]
    assert sorted(recorder.effects().values()) == [1] * 5


def test_a_crash_after_marking_on_the_server_marks_again_harmlessly(
    mailbox: Mailbox, memory: MemoryServer, recorder: Recorder
) -> None:
    _deliver(memory, 2)
    CrashingClient.crash_after_mark = 1
    with pytest.raises(SimulatedCrash):
        services.mail_poll(mailbox_id=mailbox.pk)
    statuses = list(InboundMessage.objects.order_by("uid").values_list("status", flat=True))
    assert statuses == [InboundStatus.PROCESSED, InboundStatus.PROCESSED]
    services.mail_poll(mailbox_id=mailbox.pk)
    assert set(InboundMessage.objects.values_list("status", flat=True)) == {
        InboundStatus.ACKNOWLEDGED
    }
    assert len(recorder.calls) == 2


def test_random_crashes_everywhere_still_give_exactly_one_effect_per_message(
    mailbox: Mailbox, memory: MemoryServer, recorder: Recorder
) -> None:
    """The in-process stand-in for the SIGKILL test: crash at random points many times."""
    rng = random.Random(1414)
    count = 12
    _deliver(memory, count)
    for _round in range(60):
        CrashingClient.crash_on_fetch = rng.choice([0, 0, 1, 2, 3])
        CrashingClient.crash_after_mark = rng.choice([0, 0, 1, 2])
        recorder.crash_next = rng.choice([0, 0, 0, 1])
        if rng.random() < 0.3:
            memory.deliver("hotline", make_mail(subject="late"))
            count += 1
        try:
            services.mail_poll(mailbox_id=mailbox.pk)
        except SimulatedCrash:
            continue
    CrashingClient.crash_on_fetch = CrashingClient.crash_after_mark = recorder.crash_next = 0
    services.mail_poll(mailbox_id=mailbox.pk)
    assert InboundMessage.objects.count() == count
    assert set(InboundMessage.objects.values_list("status", flat=True)) == {
        InboundStatus.ACKNOWLEDGED
    }
    assert recorder.effects() == dict.fromkeys(
        InboundMessage.objects.values_list("pk", flat=True), 1
    )
    assert len(memory.folder("hotline").messages) == count  # nothing deleted on the server
    assert _flags(memory) == [{SEEN}] * count


def test_a_uidvalidity_change_registers_nothing_twice(
    mailbox: Mailbox, memory: MemoryServer, recorder: Recorder
) -> None:
    _deliver(memory, 2)
    services.mail_poll(mailbox_id=mailbox.pk)
    late = make_mail(subject="stored before the migration")
    memory.deliver("hotline", late)
    services.mail_fetch(mailbox_id=mailbox.pk)  # stored, not yet processed or marked
    old_validity = memory.folder("hotline").uidvalidity
    # The server is rebuilt: every message gets a new UID and, worst case, loses its flags.
    memory.renumber("hotline", keep_flags=False)
    memory.deliver("hotline", make_mail(subject="new after the migration"))
    report = services.mail_poll(mailbox_id=mailbox.pk)
    assert report.fetched is not None
    assert report.fetched.new_key_space
    assert (report.fetched.stored, report.fetched.duplicates) == (1, 3)
    originals = InboundMessage.objects.filter(duplicate_of__isnull=True)
    duplicates = InboundMessage.objects.filter(duplicate_of__isnull=False)
    assert originals.count() == 4
    assert duplicates.count() == 3
    assert recorder.effects() == {m.pk: 1 for m in originals}
    assert set(duplicates.values_list("uidvalidity", flat=True)) != {old_validity}
    assert all(d.raw is None and d.status == InboundStatus.ACKNOWLEDGED for d in duplicates)
    stale = InboundMessage.objects.get(subject="stored before the migration", duplicate_of=None)
    assert stale.status == InboundStatus.ACKNOWLEDGED
    assert "UIDVALIDITY changed" in stale.server_note
    assert _flags(memory) == [{SEEN}] * 4
    assert selectors.inbound_raw(duplicates.first()) != b""  # type: ignore[arg-type]


def test_a_first_sync_takes_only_unread_mail(mailbox: Mailbox, memory: MemoryServer) -> None:
    memory.deliver("hotline", make_mail(subject="read long ago"), flags={SEEN})
    memory.deliver("hotline", make_mail(subject="unread"))
    report = services.mail_poll(mailbox_id=mailbox.pk)
    assert report.fetched is not None
    assert report.fetched.stored == 1
    assert InboundMessage.objects.get().subject == "unread"
    # Afterwards everything newer is taken, read or not (a person may open it in webmail).
    memory.deliver("hotline", make_mail(subject="read by someone"), flags={SEEN})
    services.mail_poll(mailbox_id=mailbox.pk)
    assert InboundMessage.objects.count() == 2


def test_a_processed_folder_receives_the_mail(mailbox: Mailbox, memory: MemoryServer) -> None:
    mailbox.processed_folder = "Processed"
    mailbox.save()
    _deliver(memory, 2)
    services.mail_poll(mailbox_id=mailbox.pk)
    assert memory.folder("hotline").messages == {}
    moved = memory.folder("hotline", "Processed").messages
    assert len(moved) == 2
    assert all(SEEN in m.flags for m in moved.values())
    assert InboundMessage.objects.filter(server_note="moved to Processed").count() == 2


def test_a_server_that_is_down_still_lets_stored_mail_be_processed(
    mailbox: Mailbox, memory: MemoryServer, recorder: Recorder
) -> None:
    _deliver(memory, 1)
    services.mail_fetch(mailbox_id=mailbox.pk)
    memory.unavailable = True
    report = services.mail_poll(mailbox_id=mailbox.pk)
    assert "unavailable" in report.error
    assert (report.processed, report.acknowledged) == (1, 0)
    mailbox.refresh_from_db()
    assert "unavailable" in mailbox.last_poll_error
    memory.unavailable = False
    report = services.mail_poll(mailbox_id=mailbox.pk)
    assert (report.processed, report.acknowledged, report.error) == (0, 1, "")
    assert len(recorder.calls) == 1


def test_a_missing_password_variable_is_reported_not_crashing(
    mailbox: Mailbox, memory: MemoryServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("QOLDAU_NO_SUCH_PASSWORD", raising=False)
    mailbox.password_env = "QOLDAU_NO_SUCH_PASSWORD"
    mailbox.save()
    report = services.mail_poll(mailbox_id=mailbox.pk)
    assert "QOLDAU_NO_SUCH_PASSWORD" in report.error


def test_poll_all_reads_every_active_mailbox(
    mailbox: Mailbox, memory: MemoryServer, recorder: Recorder
) -> None:
    other = Mailbox.objects.create(name="second", address="second@1414.test", kind="memory")
    Mailbox.objects.create(name="off", address="off@1414.test", kind="memory", is_active=False)
    memory.deliver("hotline", make_mail())
    memory.deliver("second", make_mail())
    memory.deliver("off", make_mail())
    reports = services.mail_poll_all()
    assert {r.mailbox for r in reports} == {"hotline", "second"}
    assert InboundMessage.objects.filter(mailbox=other).count() == 1
    assert len(recorder.calls) == 2


def test_acknowledging_before_processing_does_nothing(
    mailbox: Mailbox, memory: MemoryServer
) -> None:
    _deliver(memory, 1)
    services.mail_fetch(mailbox_id=mailbox.pk)
    message = InboundMessage.objects.get()
    assert services.mail_acknowledge_on_server(message_id=message.pk) is False
    assert _flags(memory) == [set()]
    services.mail_process(message_id=message.pk)
    assert services.mail_acknowledge_on_server(message_id=message.pk) is True
    assert services.mail_acknowledge_on_server(message_id=message.pk) is False
    assert _flags(memory) == [{SEEN}]


def test_unknown_ids_are_not_found(db: None) -> None:
    with pytest.raises(NotFound):
        services.mail_process(message_id=999)
    with pytest.raises(NotFound):
        services.mail_fetch(mailbox_id=999)


def test_storing_the_same_uid_twice_inserts_once(mailbox: Mailbox) -> None:
    raw = make_mail()
    first = services.inbound_store(mailbox=mailbox, uidvalidity=7, uid=1, raw=raw)
    second = services.inbound_store(mailbox=mailbox, uidvalidity=7, uid=1, raw=raw)
    assert first[0] == "stored"
    assert second == ("exists", first[1])
    assert InboundMessage.objects.count() == 1


def test_big_raw_messages_go_to_storage_not_the_database(
    mailbox: Mailbox, memory: MemoryServer, settings: Any, recorder: Recorder
) -> None:
    settings.QOLDAU_MAIL_RAW_DB_MAX_BYTES = 1000
    raw = make_mail(body="Сәлем! " + "ұзын мәтін " * 500)
    memory.deliver("hotline", raw)
    services.mail_poll(mailbox_id=mailbox.pk)
    message = InboundMessage.objects.get()
    assert message.raw is None
    assert message.raw_file.name.startswith("mail/raw/")
    assert default_storage.exists(message.raw_file.name)
    assert selectors.inbound_raw(message) == raw
    assert message.size == len(raw)


def test_attachments_are_stored_by_hash(
    mailbox: Mailbox, memory: MemoryServer, recorder: Recorder
) -> None:
    from email.message import EmailMessage

    mail = EmailMessage()
    mail["From"] = "a@example.kz"
    mail["Subject"] = "Құжаттар"
    mail.set_content("Қоса беріліп отыр.")
    mail.add_attachment(b"%PDF same", "application", "pdf", filename="өтініш.pdf")
    mail.add_attachment(b"%PDF same", "application", "pdf", filename="көшірме.pdf")
    memory.deliver("hotline", mail.as_bytes())
    services.mail_poll(mailbox_id=mailbox.pk)
    message = InboundMessage.objects.get()
    attachments = list(message.attachments.order_by("position"))
    assert [a.filename for a in attachments] == ["өтініш.pdf", "көшірме.pdf"]
    assert attachments[0].file.name == attachments[1].file.name  # one file for equal content
    with default_storage.open(attachments[0].file.name, "rb") as handle:
        assert handle.read() == b"%PDF same"
    # The appeals app reads them through the message it is handed.
    assert [a.filename for a in recorder.payloads[0]["message"].attachments.all()] == [
        "өтініш.pdf",
        "көшірме.pdf",
    ]


def test_malformed_mail_is_still_handed_on_and_flagged(
    mailbox: Mailbox, memory: MemoryServer, recorder: Recorder
) -> None:
    memory.deliver(
        "hotline",
        b"From: x@example.kz\nContent-Type: multipart/mixed\n\n\x00broken \xff\xfe body\n",
    )
    services.mail_poll(mailbox_id=mailbox.pk)
    message = InboundMessage.objects.get()
    assert message.is_malformed
    assert "nul_bytes" in message.defects
    assert "\x00" not in message.text
    assert recorder.effects() == {message.pk: 1}


def test_a_bounce_of_our_mail_marks_the_outgoing_message_failed(
    mailbox: Mailbox, memory: MemoryServer, recorder: Recorder
) -> None:
    ack = outbox_enqueue(
        channel="email",
        recipient="gone@example.kz",
        subject="ack",
        body="ack",
        idempotency_key="ack-1",
    )
    bounce = (
        b"From: MAILER-DAEMON@mx.example.kz\nTo: info@1414.test\nSubject: Undelivered\n"
        b"MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; "
        b'boundary="r"\n\n--r\nContent-Type: text/plain\n\nfailed\n--r\n'
        b"Content-Type: text/rfc822-headers\n\nMessage-ID: "
        + ack.message_id.encode()
        + b"\n--r--\n"
    )
    memory.deliver("hotline", bounce)
    services.mail_poll(mailbox_id=mailbox.pk)
    ack.refresh_from_db()
    assert ack.status == "failed"
    assert ack.last_error.startswith("bounced")
    assert InboundMessage.objects.get().classification == "bounce"


# --- automatic answers -------------------------------------------------------------------------
def _processed(memory: MemoryServer, mailbox: Mailbox, raw: bytes) -> InboundMessage:
    memory.deliver("hotline", raw)
    services.mail_poll(mailbox_id=mailbox.pk)
    return InboundMessage.objects.order_by("-pk").first()  # type: ignore[return-value]


def test_auto_reply_headers_thread_and_stop_loops(mailbox: Mailbox, memory: MemoryServer) -> None:
    message = _processed(
        memory,
        mailbox,
        make_mail(message_id="<m2@example.kz>", headers={"References": "<m1@example.kz>"}),
    )
    row = services.mail_auto_reply_enqueue(
        message=message, subject="Өтінішіңіз тіркелді", body="Нөмірі 1"
    )
    assert row is not None
    assert row.recipient == "aigul@example.kz"
    assert row.sender == "info@1414.test"
    assert row.language == "kk"
    assert row.headers["In-Reply-To"] == "<m2@example.kz>"
    assert row.headers["References"] == "<m1@example.kz> <m2@example.kz>"
    assert row.headers["Auto-Submitted"] == "auto-replied"
    assert row.headers["X-Loop"] == "info@1414.test"
    assert row.message_id.endswith("@1414.test>")
    # Queued once, whatever retries the caller makes.
    again = services.mail_auto_reply_enqueue(message=message, subject="x", body="y")
    assert again is not None
    assert again.pk == row.pk


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "auto-replied"},
        {"Precedence": "bulk"},
        {"List-Id": "<news.example.kz>"},
        {"X-Loop": "info@1414.test"},
    ],
)
def test_no_auto_reply_to_automated_mail(
    mailbox: Mailbox, memory: MemoryServer, headers: dict[str, str]
) -> None:
    message = _processed(memory, mailbox, make_mail(headers=headers))
    assert message.is_automated
    assert services.mail_auto_reply_enqueue(message=message, subject="x", body="y") is None


def test_no_auto_reply_to_our_own_address(mailbox: Mailbox, memory: MemoryServer) -> None:
    message = _processed(memory, mailbox, make_mail(sender="Qoldau <info@1414.test>"))
    assert message.classification == "own"
    assert not selectors.mail_auto_reply_allowed(message=message)


def test_auto_replies_are_limited_per_sender_a_day(
    mailbox: Mailbox, memory: MemoryServer, settings: Any
) -> None:
    settings.QOLDAU_MAIL_AUTO_REPLY_LIMIT = 2
    with time_machine.travel("2024-03-01 08:00:00+00:00", tick=False):
        queued = []
        for _n in range(4):
            message = _processed(memory, mailbox, make_mail())
            queued.append(services.mail_auto_reply_enqueue(message=message, subject="x", body="y"))
        assert [q is not None for q in queued] == [True, True, False, False]
    with time_machine.travel("2024-03-02 08:00:01+00:00", tick=False):
        message = _processed(memory, mailbox, make_mail())
        assert services.mail_auto_reply_enqueue(message=message, subject="x", body="y")
    assert OutboxMessage.objects.filter(category=selectors.AUTO_REPLY_CATEGORY).count() == 3
    assert clock.now()
