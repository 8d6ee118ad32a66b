"""The admin shows mailboxes as configuration and inbound mail as metadata only."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from qoldau.mail import services
from qoldau.mail.adapters.memory import MemoryServer
from qoldau.mail.enums import InboundStatus
from qoldau.mail.models import InboundMessage, Mailbox
from qoldau.mail.tests.conftest import Recorder, make_mail

pytestmark = pytest.mark.django_db

SECRET_SUBJECT = "Менің ЖСН 900101300123 туралы құпия"


@pytest.fixture
def stored(mailbox: Mailbox, memory: MemoryServer, recorder: Recorder) -> InboundMessage:
    memory.deliver(
        "hotline", make_mail(subject=SECRET_SUBJECT, body="Құпия мәтін, телефон +77011234567")
    )
    services.mail_poll(mailbox_id=mailbox.pk)
    return InboundMessage.objects.get()


def test_inbound_pages_show_metadata_not_content(
    admin_client: Client, stored: InboundMessage
) -> None:
    listing = admin_client.get(reverse("admin:mail_inboundmessage_changelist"))
    detail = admin_client.get(reverse("admin:mail_inboundmessage_change", args=[stored.pk]))
    for response in (listing, detail):
        assert response.status_code == 200
        page = response.content.decode()
        assert "a***@example.kz" in page
        assert "aigul@example.kz" not in page
        assert SECRET_SUBJECT not in page
        assert "Құпия мәтін" not in page
    assert stored.sha256 in detail.content.decode()


def test_inbound_messages_cannot_be_added_changed_or_deleted(
    admin_client: Client, stored: InboundMessage
) -> None:
    assert admin_client.get(reverse("admin:mail_inboundmessage_add")).status_code == 403
    delete = reverse("admin:mail_inboundmessage_delete", args=[stored.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert InboundMessage.objects.filter(pk=stored.pk).exists()


def test_the_process_again_action(admin_client: Client, stored: InboundMessage) -> None:
    InboundMessage.objects.filter(pk=stored.pk).update(
        status=InboundStatus.STORED, next_attempt_at="2099-01-01T00:00Z"
    )
    response = admin_client.post(
        reverse("admin:mail_inboundmessage_changelist"),
        {"action": "process_again", "_selected_action": [stored.pk]},
        follow=True,
    )
    assert response.status_code == 200
    stored.refresh_from_db()
    assert stored.next_attempt_at is None


def test_a_mailbox_is_configured_with_a_password_variable_not_a_password(
    admin_client: Client, db: None
) -> None:
    data: dict[str, Any] = {
        "name": "1414",
        "address": "info@1414.kz",
        "kind": "imap",
        "default_language": "kk",
        "is_active": "on",
        "host": "imap.1414.kz",
        "port": "993",
        "security": "ssl",
        "username": "info",
        "password_env": "secret password",
        "folder": "INBOX",
        "processed_folder": "",
        "maildir_path": "",
    }
    response = admin_client.post(reverse("admin:mail_mailbox_add"), data)
    assert response.status_code == 200  # the form is shown again with the error
    assert not Mailbox.objects.filter(name="1414").exists()
    data["password_env"] = "MAIL_1414_PASSWORD"
    response = admin_client.post(reverse("admin:mail_mailbox_add"), data)
    assert response.status_code == 302
    assert Mailbox.objects.get(name="1414").password_env == "MAIL_1414_PASSWORD"


def test_outgoing_messages_are_listed_masked(admin_client: Client, stored: InboundMessage) -> None:
    services.mail_auto_reply_enqueue(message=stored, subject=SECRET_SUBJECT, body="x")
    response = admin_client.get(reverse("admin:core_outboxmessage_changelist"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "a***@example.kz" in page
    assert SECRET_SUBJECT not in page
