from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from qoldau.accounts.models import User
from qoldau.core.errors import DomainError
from qoldau.policy.models import PolicyRule
from qoldau.policy.services import policy_rule_add, policy_rule_change, policy_rule_validate

# Fixed once a version exists: a different number is a new version with a later "valid from".
FIXED_ON_CHANGE = ("code", "value", "unit", "rules", "text_variant", "valid_from")
TEXT_FIELDS = (
    "paragraph_2016",
    "paragraph_2013",
    "title_kk",
    "title_ru",
    "title_en",
    "note_kk",
    "note_ru",
    "note_en",
)


def _actor(request: HttpRequest) -> User | None:
    return request.user if isinstance(request.user, User) else None


class PolicyRuleForm(forms.ModelForm[PolicyRule]):
    class Meta:
        model = PolicyRule
        fields = (*FIXED_ON_CHANGE, "valid_to", *TEXT_FIELDS)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        instance = self.instance
        existing = instance.pk is not None

        def pick(name: str) -> Any:
            return (
                getattr(instance, name)
                if existing and name in FIXED_ON_CHANGE
                else cleaned.get(name)
            )

        required = ("code", "value", "unit", "valid_from", "title_kk", "note_kk")
        if any(pick(name) in (None, "") for name in required):
            return cleaned  # the field errors already say what is missing
        try:
            policy_rule_validate(
                code=pick("code"),
                value=pick("value"),
                unit=pick("unit"),
                text_variant=pick("text_variant") or "",
                valid_from=pick("valid_from"),
                valid_to=cleaned.get("valid_to"),
                title_kk=cleaned["title_kk"],
                note_kk=cleaned["note_kk"],
                exclude_id=instance.pk,
            )
        except DomainError as exc:
            field = exc.field if exc.field in self.fields else None
            self.add_error(field, str(exc.message))
        return cleaned


@admin.register(PolicyRule)
class PolicyRuleAdmin(admin.ModelAdmin[PolicyRule]):
    """Adding a version closes the open one it replaces; existing versions keep their number
    (see the help text of "valid from"). Versions are never deleted."""

    form = PolicyRuleForm
    list_display = (
        "code",
        "value",
        "unit",
        "paragraph_2016",
        "paragraph_2013",
        "text_variant",
        "valid_from",
        "valid_to",
        "title",
    )
    list_filter = ("unit", "rules", "text_variant")
    search_fields = ("code", "title_kk", "title_ru", "title_en", "paragraph_2016")
    ordering = ("code", "text_variant", "valid_from")

    def get_readonly_fields(self, request: HttpRequest, obj: PolicyRule | None = None) -> Any:
        return FIXED_ON_CHANGE if obj is not None else ()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: PolicyRule, form: Any, change: bool) -> None:
        texts = {name: getattr(obj, name) for name in TEXT_FIELDS}
        if change:
            saved = policy_rule_change(
                actor=_actor(request), rule_id=obj.pk, valid_to=obj.valid_to, **texts
            )
        else:
            saved = policy_rule_add(
                actor=_actor(request),
                code=obj.code,
                value=obj.value,
                unit=obj.unit,
                rules=obj.rules,
                text_variant=obj.text_variant,
                valid_from=obj.valid_from,
                valid_to=obj.valid_to,
                **texts,
            )
        obj.pk = saved.pk
        obj.created_at = saved.created_at
        obj.updated_at = saved.updated_at
