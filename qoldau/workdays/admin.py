from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from qoldau.accounts.models import User
from qoldau.core.errors import DomainError
from qoldau.workdays.models import CalendarDay, CalendarOverride
from qoldau.workdays.selectors import loaded_years
from qoldau.workdays.services import (
    workdays_override_add,
    workdays_override_change,
    workdays_override_delete,
    workdays_override_validate,
)


def _actor(request: HttpRequest) -> User | None:
    return request.user if isinstance(request.user, User) else None


class YearFilter(admin.SimpleListFilter):
    title = _("year")
    parameter_name = "year"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(str(year), str(year)) for year in reversed(loaded_years())]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(date__year=int(value))
        return queryset


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin[CalendarDay]):
    """Read-only: days are derived from the ``holidays`` package and the overrides."""

    list_display = ("date", "weekday", "is_working", "kind", "name", "source", "work_index")
    list_filter = (YearFilter, "kind", "is_working", "source")
    search_fields = ("name_kk", "name_ru", "name_en")
    date_hierarchy = "date"
    list_per_page = 100

    @admin.display(description=_("weekday"))
    def weekday(self, obj: CalendarDay) -> str:
        return date_format(obj.date, "D")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CalendarOverrideForm(forms.ModelForm[CalendarOverride]):
    class Meta:
        model = CalendarOverride
        fields = (
            "date",
            "is_working",
            "reason_kk",
            "reason_ru",
            "reason_en",
            "decree_title",
            "decree_number",
            "decree_date",
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        day = cleaned.get("date")
        if day is not None and cleaned.get("reason_kk"):
            try:
                workdays_override_validate(
                    day=day, reason_kk=cleaned["reason_kk"], exclude_id=self.instance.pk
                )
            except DomainError as exc:
                field = exc.field if exc.field in self.fields else None
                self.add_error(field, str(exc.message))
        return cleaned


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(admin.ModelAdmin[CalendarOverride]):
    """Saving or deleting goes through the services: the date and the index are re-derived and
    the change is audited."""

    form = CalendarOverrideForm
    list_display = ("date", "is_working", "reason", "decree_title", "created_by", "created_at")
    list_filter = ("is_working",)
    search_fields = ("reason_kk", "reason_ru", "reason_en", "decree_title", "decree_number")
    date_hierarchy = "date"
    readonly_fields = ("created_by", "created_at", "updated_at")

    def save_model(
        self, request: HttpRequest, obj: CalendarOverride, form: Any, change: bool
    ) -> None:
        if change:
            saved = workdays_override_change(
                actor=_actor(request),
                override_id=obj.pk,
                day=obj.date,
                is_working=obj.is_working,
                reason_kk=obj.reason_kk,
                reason_ru=obj.reason_ru,
                reason_en=obj.reason_en,
                decree_title=obj.decree_title,
                decree_number=obj.decree_number,
                decree_date=obj.decree_date,
            )
        else:
            saved = workdays_override_add(
                actor=_actor(request),
                day=obj.date,
                is_working=obj.is_working,
                reason_kk=obj.reason_kk,
                reason_ru=obj.reason_ru,
                reason_en=obj.reason_en,
                decree_title=obj.decree_title,
                decree_number=obj.decree_number,
                decree_date=obj.decree_date,
            )
        obj.pk = saved.pk
        obj.created_by = saved.created_by
        obj.created_at = saved.created_at
        obj.updated_at = saved.updated_at

    def delete_model(self, request: HttpRequest, obj: CalendarOverride) -> None:
        workdays_override_delete(actor=_actor(request), override_id=obj.pk)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[CalendarOverride]) -> None:
        for override_id in list(queryset.values_list("pk", flat=True)):
            workdays_override_delete(actor=_actor(request), override_id=override_id)
