from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from qoldau.accounts.enums import Role
from qoldau.accounts.models import ApiKey, RoleAssignment, User
from qoldau.accounts.services import api_key_issue, api_key_revoke


class RoleAssignmentInline(admin.TabularInline[RoleAssignment, User]):
    model = RoleAssignment
    extra = 0
    fields = ("role", "granted_at")
    readonly_fields = ("granted_at",)


@admin.register(User)
class QoldauUserAdmin(UserAdmin[User]):
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        (
            _("Organisation and language"),
            {"fields": ("organisation", "position", "phone", "language")},
        ),
    )
    list_display = ("username", "last_name", "first_name", "organisation", "is_active", "is_staff")
    list_filter = ("is_active", "is_staff", "role_assignments__role", "organisation__kind")
    search_fields = ("username", "first_name", "last_name", "email")
    autocomplete_fields = ("organisation",)
    inlines = (RoleAssignmentInline,)


class ApiKeyForm(forms.ModelForm[ApiKey]):
    roles = forms.MultipleChoiceField(
        label=_("roles"), choices=Role.choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = ApiKey
        fields = ("organisation", "name", "roles")


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin[ApiKey]):
    """Keys are issued through the service: the raw key is shown once, only its hash is kept."""

    form = ApiKeyForm
    list_display = ("name", "prefix", "organisation", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "prefix")
    autocomplete_fields = ("organisation",)
    actions = ("revoke_selected",)

    def get_readonly_fields(
        self, request: HttpRequest, obj: ApiKey | None = None
    ) -> tuple[str, ...]:
        if obj is not None:
            return (
                "organisation",
                "name",
                "roles",
                "prefix",
                "created_by",
                "created_at",
                "last_used_at",
                "revoked_at",
            )
        return ()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: ApiKey, form: Any, change: bool) -> None:
        if change:
            return
        key, raw = api_key_issue(
            organisation_id=obj.organisation_id,
            name=obj.name,
            roles=form.cleaned_data.get("roles") or [],
            actor=request.user,
        )
        obj.pk = key.pk
        messages.warning(
            request,
            gettext("Copy the key now; it is not shown again: %(key)s") % {"key": raw},
        )

    @admin.action(description=_("Revoke the selected keys"))
    def revoke_selected(self, request: HttpRequest, queryset: Any) -> None:
        for key in queryset:
            api_key_revoke(key_id=key.pk, actor=request.user)
