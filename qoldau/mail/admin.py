"""Admin of the mail app. Mailboxes are configuration; inbound messages and outgoing mail are
shown as metadata only (the raw bytes, texts and subjects are personal data and stay out of the
admin; senders are masked). Actions call the services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from qoldau.core.errors import DomainError
from qoldau.core.logging import mask_personal_data
from qoldau.core.models import OutboxMessage, OutboxStatus
from qoldau.core.outbox import outbox_retry
from qoldau.mail.models import InboundAttachment, InboundMessage, Mailbox
from qoldau.mail.services import inbound_retry_now

_ATTACHMENT_FIELDS: tuple[str, ...] = ("position", "content_type", "size", "sha256", "is_inline")
_INBOUND_FIELDS: tuple[str, ...] = (
    "mailbox",
    "uidvalidity",
    "uid",
    "message_id",
    "sha256",
    "size",
    "received_at",
    "masked_sender",
    "sent_at",
    "language",
    "classification",
    "is_malformed",
    "is_oversized",
    "is_truncated",
    "defects",
    "text_source",
    "duplicate_of",
    "status",
    "processed_at",
    "acknowledged_at",
    "process_attempts",
    "next_attempt_at",
    "last_error",
    "server_note",
)
_OUTBOX_FIELDS: tuple[str, ...] = (
    "channel",
    "category",
    "masked_recipient",
    "message_id",
    "language",
    "related_type",
    "related_id",
    "status",
    "attempts",
    "max_attempts",
    "next_attempt_at",
    "last_attempt_at",
    "sent_at",
    "failed_at",
    "last_error",
    "attempt_log",
    "created_at",
)


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin[Mailbox]):
    list_display = ["name", "address", "kind", "host", "folder", "is_active", "last_poll_at"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "address"]
    readonly_fields = ["sync_uidvalidity", "sync_last_uid", "last_poll_at", "last_poll_error"]
    fieldsets = [
        (None, {"fields": ["name", "address", "kind", "default_language", "is_active"]}),
        (
            _("Server"),
            {"fields": ["host", "port", "security", "username", "password_env", "maildir_path"]},
        ),
        (_("Folders"), {"fields": ["folder", "processed_folder"]}),
        (
            _("State"),
            {"fields": ["sync_uidvalidity", "sync_last_uid", "last_poll_at", "last_poll_error"]},
        ),
    ]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Messages keep a reference to their mailbox for good; switch it off instead.
        return False


class AttachmentInline(admin.TabularInline[InboundAttachment, InboundMessage]):
    model = InboundAttachment
    fields = _ATTACHMENT_FIELDS
    readonly_fields = _ATTACHMENT_FIELDS
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin[InboundMessage]):
    list_display = [
        "pk",
        "mailbox",
        "received_at",
        "masked_sender",
        "status",
        "classification",
        "language",
        "is_malformed",
        "size",
        "process_attempts",
    ]
    list_filter = ["status", "classification", "language", "is_malformed", "mailbox"]
    date_hierarchy = "received_at"
    fields = _INBOUND_FIELDS
    readonly_fields = _INBOUND_FIELDS
    inlines = [AttachmentInline]
    actions = ["process_again"]

    @admin.display(description=_("from"))
    def masked_sender(self, obj: InboundMessage) -> str:
        return mask_personal_data(obj.from_address)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Process the selected messages again now"))
    def process_again(self, request: HttpRequest, queryset: QuerySet[InboundMessage]) -> None:
        count = inbound_retry_now(message_ids=queryset.values_list("pk", flat=True))
        self.message_user(
            request,
            ngettext(
                "%(count)d message will be processed on the next poll.",
                "%(count)d messages will be processed on the next poll.",
                count,
            )
            % {"count": count},
        )


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin[OutboxMessage]):
    list_display = [
        "pk",
        "channel",
        "category",
        "masked_recipient",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "failed_at",
    ]
    list_filter = ["status", "channel", "category"]
    fields = _OUTBOX_FIELDS
    readonly_fields = _OUTBOX_FIELDS
    actions = ["send_again"]

    @admin.display(description=_("recipient"))
    def masked_recipient(self, obj: OutboxMessage) -> str:
        return mask_personal_data(obj.recipient)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Send the selected failed messages again"))
    def send_again(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        count = 0
        for row in queryset.filter(status=OutboxStatus.FAILED):
            try:
                outbox_retry(outbox_id=row.pk)
            except DomainError as exc:
                self.message_user(request, str(exc.message), level=messages.ERROR)
                continue
            count += 1
        self.message_user(
            request,
            ngettext("%(count)d message queued again.", "%(count)d messages queued again.", count)
            % {"count": count},
        )
