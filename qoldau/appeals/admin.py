"""Admin: lines, answer templates (data, R8, R34); appeals read-only in status and deadline."""

from __future__ import annotations

from django.contrib import admin

from qoldau.appeals.models import AnswerTemplate, Appeal, AppealEvent, IdempotencyKey, Line


@admin.register(Line)
class LineAdmin(admin.ModelAdmin[Line]):
    list_display = ["code", "kind", "address", "name_kk", "name_ru", "is_active"]
    list_filter = ["kind", "is_active"]


@admin.register(AnswerTemplate)
class AnswerTemplateAdmin(admin.ModelAdmin[AnswerTemplate]):
    list_display = ["code", "title_kk", "title_ru", "is_active"]
    search_fields = ["code", "title_kk", "title_ru", "title_en"]


class EventInline(admin.TabularInline[AppealEvent, Appeal]):
    model = AppealEvent
    extra = 0
    can_delete = False
    fields = ["at", "code", "params", "actor_label", "public"]
    readonly_fields = ["at", "code", "params", "actor_label", "public"]

    def has_add_permission(self, request: object, obj: Appeal | None = None) -> bool:
        return False


@admin.register(Appeal)
class AppealAdmin(admin.ModelAdmin[Appeal]):
    """Status, deadline and number change only through services (design rule 3)."""

    list_display = ["number", "channel", "category", "status", "received_at", "due_at"]
    list_filter = ["status", "channel", "category", "language"]
    search_fields = ["number"]
    inlines = [EventInline]
    readonly_fields = [
        "number",
        "status",
        "due_at",
        "due_rule",
        "due_citation",
        "overdue_at",
        "registered_at",
        "registered_by",
        "answered_at",
        "closed_at",
        "merged_into",
    ]
    raw_id_fields = ["service", "organisation", "complaint_body", "assigned_to", "region"]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: Appeal | None = None) -> bool:
        return False


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(admin.ModelAdmin[IdempotencyKey]):
    list_display = ["client", "key", "status_code", "created_at"]
    readonly_fields = [
        "client",
        "key",
        "request_hash",
        "status_code",
        "response",
        "appeal",
        "created_at",
    ]
