"""Admin of recordings: read-only; every change goes through the services (and is audited)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from qoldau.recordings.models import DeliveredFile, Recording, RecordingRequest, RequestMatch


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Recording)
class RecordingAdmin(ReadOnlyAdmin):
    list_display = ("storage_key", "call", "size", "created_at", "retain_until", "deleted_at")
    list_filter = ("deleted_at",)
    search_fields = ("call__call_id", "storage_key")


class MatchInline(admin.TabularInline[RequestMatch, RecordingRequest]):
    model = RequestMatch
    extra = 0
    can_delete = False
    readonly_fields = ("call", "found_at")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class FileInline(admin.TabularInline[DeliveredFile, RecordingRequest]):
    model = DeliveredFile
    extra = 0
    can_delete = False
    readonly_fields = ("recording", "file_name", "size", "sha256")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(RecordingRequest)
class RecordingRequestAdmin(ReadOnlyAdmin):
    list_display = ("pk", "organisation", "call_date", "status", "filed_at", "due_at", "late_at")
    list_filter = ("status", "organisation")
    date_hierarchy = "filed_at"
    inlines = (MatchInline, FileInline)
