from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from qoldau.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin[AuditEvent]):
    """Read-only: events are written by services only."""

    list_display = ("at", "chain", "seq", "actor_label", "action", "target_type", "target_id")
    list_filter = ("action", "chain")
    search_fields = ("action", "actor_label", "target_id", "request_id")
    date_hierarchy = "at"
    ordering = ("-at",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
