"""Admin of work distribution: competences, queues with their steps (configuration data);
operators' presence and load, tasks and reservations read-only (they change only through the
router, design rule 3)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms import ModelForm

from qoldau.routing.expressions import RuleError, compile_rule
from qoldau.routing.models import (
    Operator,
    OperatorLanguage,
    OperatorSkill,
    Queue,
    QueueStep,
    Reservation,
    Skill,
    Task,
    Training,
    TrainingResultRow,
)
from qoldau.routing.services import queue_plans_forget


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin[Skill]):
    list_display = ["code", "name_kk", "name_ru", "service"]
    search_fields = ["code", "name_kk", "name_ru"]
    raw_id_fields = ["service"]


class StepInline(admin.TabularInline[QueueStep, Queue]):
    model = QueueStep
    extra = 0


class QueueForm(ModelForm[Queue]):
    class Meta:
        model = Queue
        fields = [
            "code",
            "name_kk",
            "name_ru",
            "name_en",
            "channel",
            "match",
            "priority",
            "offer_seconds",
            "is_active",
        ]

    def clean_match(self) -> str:
        text = str(self.cleaned_data.get("match") or "")
        try:
            compile_rule(text)
        except RuleError as exc:
            raise ValidationError(str(exc)) from exc
        return text.strip()


@admin.register(Queue)
class QueueAdmin(admin.ModelAdmin[Queue]):
    form = QueueForm
    list_display = ["code", "name_kk", "name_ru", "channel", "match", "priority", "is_active"]
    list_filter = ["channel", "is_active"]
    inlines = [StepInline]

    def save_related(self, request: Any, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        queue_plans_forget()


class SkillInline(admin.TabularInline[OperatorSkill, Operator]):
    model = OperatorSkill
    extra = 0
    readonly_fields = ["source", "granted_at"]


class LanguageInline(admin.TabularInline[OperatorLanguage, Operator]):
    model = OperatorLanguage
    extra = 0


@admin.register(Operator)
class OperatorAdmin(admin.ModelAdmin[Operator]):
    list_display = ["user", "extension", "presence", "voice_busy", "text_busy", "text_capacity"]
    list_filter = ["presence"]
    search_fields = ["user__username", "user__last_name", "extension"]
    readonly_fields = ["presence", "presence_since", "idle_since", "voice_busy", "text_busy"]
    raw_id_fields = ["user"]
    inlines = [SkillInline, LanguageInline]


class _ReadOnly(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Task)
class TaskAdmin(_ReadOnly):
    list_display = ["channel", "ref", "state", "queue", "step", "assigned_to", "created_at"]
    list_filter = ["channel", "state", "queue"]
    search_fields = ["ref"]


@admin.register(Reservation)
class ReservationAdmin(_ReadOnly):
    list_display = ["task", "operator", "state", "step", "offered_at", "responded_at"]
    list_filter = ["state", "channel"]


class ResultInline(admin.TabularInline[TrainingResultRow, Training]):
    model = TrainingResultRow
    extra = 0
    can_delete = False
    readonly_fields = ["operator", "result", "score", "recorded_at"]

    def has_add_permission(self, request: Any, obj: Training | None = None) -> bool:
        return False


@admin.register(Training)
class TrainingAdmin(_ReadOnly):
    """Trainings are recorded on the supervisor's page, which grants the competences."""

    list_display = ["topic_kk", "trainer", "held_on", "skill", "is_retraining"]
    inlines = [ResultInline]
