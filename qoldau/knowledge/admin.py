"""Admin of the knowledge base. Articles, versions, revisions, flags, attachments and the index
log are read-only here: they change only through the services (the editor screens), which
keep revisions, reviews, the audit trail and the search index in step. Synonym groups are
edited here too, through the same service the editors use."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from qoldau.core.errors import DomainError
from qoldau.knowledge import cleaning, services
from qoldau.knowledge.models import (
    Article,
    ArticleAttachment,
    ArticleRevision,
    ArticleTranslation,
    IndexChange,
    ReviewFlag,
    SynonymGroup,
)


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    """Shown, never changed here."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class TranslationInline(admin.TabularInline[ArticleTranslation, Article]):
    model = ArticleTranslation
    fields = ("language", "status", "title", "revision_number", "published_revision_number")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Article)
class ArticleAdmin(ReadOnlyAdmin):
    list_display = ("external_id", "kind", "service", "owner", "is_public", "updated_at")
    list_filter = ("kind", "source", "is_public")
    search_fields = ("external_id", "translations__title", "service__register_number")
    list_select_related = ("service", "owner")
    readonly_fields = ("editor_link",)
    inlines = (TranslationInline,)

    @admin.display(description=_("editor"))
    def editor_link(self, obj: Article) -> SafeString:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("knowledge:article_edit", args=[obj.pk]),
            _("Open in the knowledge base editor"),
        )


@admin.register(ArticleTranslation)
class ArticleTranslationAdmin(ReadOnlyAdmin):
    list_display = ("article", "language", "status", "title", "revision_number", "published_at")
    list_filter = ("language", "status")
    search_fields = ("article__external_id", "title")
    list_select_related = ("article",)


@admin.register(ArticleRevision)
class ArticleRevisionAdmin(ReadOnlyAdmin):
    list_display = ("translation", "number", "status", "created_by", "created_at", "comment")
    list_filter = ("status", "translation__language")
    search_fields = ("translation__article__external_id", "comment")
    list_select_related = ("translation", "created_by")


@admin.register(ArticleAttachment)
class ArticleAttachmentAdmin(ReadOnlyAdmin):
    list_display = ("title", "article", "language", "content_type", "size", "uploaded_at")
    list_select_related = ("article",)


@admin.register(ReviewFlag)
class ReviewFlagAdmin(ReadOnlyAdmin):
    list_display = ("article", "reason", "amendment", "due_at", "resolved_at", "resolution")
    list_filter = ("reason", "resolution")
    list_select_related = ("article", "amendment")
    search_fields = ("article__external_id",)


@admin.register(IndexChange)
class IndexChangeAdmin(ReadOnlyAdmin):
    list_display = ("pk", "action", "article_id", "created_at")
    list_filter = ("action",)


class SynonymGroupForm(forms.ModelForm[SynonymGroup]):
    terms_text = forms.CharField(
        label=_("Words and phrases that mean the same"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("One per line, e.g. ЦОН, ХҚКО, центр обслуживания населения."),
    )

    class Meta:
        model = SynonymGroup
        fields = ("note", "is_active")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["terms_text"].initial = "\n".join(self.instance.terms or [])

    def clean_terms_text(self) -> str:
        raw = str(self.cleaned_data.get("terms_text") or "")
        errors = cleaning.Errors()
        cleaning.clean_synonyms(raw.splitlines(), errors)
        if errors.items:
            raise forms.ValidationError([str(item.message) for item in errors.items])
        return raw

    def term_list(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["terms_text"].splitlines() if line]


@admin.register(SynonymGroup)
class SynonymGroupAdmin(admin.ModelAdmin[SynonymGroup]):
    form = SynonymGroupForm
    list_display = ("__str__", "note", "is_active", "updated_at")
    list_filter = ("is_active",)
    fields = ("terms_text", "note", "is_active")

    def _is_editor(self, request: HttpRequest) -> bool:
        user: Any = request.user
        return bool(user.is_superuser or user.has_role(*services.EDITOR_ROLES))

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._is_editor(request) or super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._is_editor(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._is_editor(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._is_editor(request)

    def save_model(self, request: HttpRequest, obj: SynonymGroup, form: Any, change: bool) -> None:
        try:
            saved = services.synonym_group_save(
                actor=request.user,
                group_id=obj.pk if change else None,
                terms=form.term_list(),
                note=form.cleaned_data.get("note") or "",
                is_active=bool(form.cleaned_data.get("is_active")),
            )
        except DomainError as exc:
            messages.error(request, str(exc.message))
            return
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: SynonymGroup) -> None:
        services.synonym_group_delete(actor=request.user, group_id=obj.pk)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[SynonymGroup]) -> None:
        for pk in list(queryset.values_list("pk", flat=True)):
            services.synonym_group_delete(actor=request.user, group_id=pk)
