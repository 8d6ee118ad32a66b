"""Forms of the editor screens: they parse what was typed; the services check and write it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from qoldau.core.errors import DomainError, ValidationFailed
from qoldau.core.widgets import CalendarDateInput
from qoldau.knowledge.cleaning import (
    COMMENT_MAX,
    LANGUAGES,
    ArticleInput,
    TextInput,
    split_keywords,
)
from qoldau.knowledge.enums import ArticleKind, ArticleSource, Language
from qoldau.knowledge.models import Article

LANGUAGE_LABELS = {
    "kk": _("Kazakh"),
    "ru": _("Russian"),
    "en": _("English"),
}


def apply_errors(form: forms.Form, error: DomainError) -> None:
    """Show a service's field errors on the form's fields (others above the form)."""
    items: list[DomainError] = [*error.errors] if isinstance(error, ValidationFailed) else [error]
    form.errors  # noqa: B018 (cleans a bound form; an unbound one gets an empty error list)
    if not hasattr(form, "cleaned_data"):
        form.cleaned_data = {}
    for item in items:
        name = item.field if item.field in form.fields else None
        form.add_error(name, str(item.message))


class ArticleForm(forms.Form):
    external_id = forms.CharField(
        label=_("Identifier"),
        max_length=100,
        required=False,
        help_text=_("Latin letters, digits and hyphens, e.g. how-to-ecp."),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=ArticleKind.choices)
    service = forms.TypedChoiceField(
        label=_("Public service"), coerce=int, required=False, empty_value=None
    )
    owner = forms.TypedChoiceField(
        label=_("Owner organisation"), coerce=int, required=False, empty_value=None
    )
    source = forms.ChoiceField(label=_("Source"), choices=ArticleSource.choices)
    source_reference = forms.CharField(label=_("Source reference"), max_length=1000, required=False)
    effective_from = forms.DateField(
        label=_("Effective from"),
        required=False,
        widget=CalendarDateInput(),
    )
    is_public = forms.BooleanField(label=_("Show on the public FAQ"), required=False)
    related = forms.CharField(
        label=_("Related articles"),
        required=False,
        help_text=_("Identifiers of other articles, separated by commas."),
    )
    comment = forms.CharField(
        label=_("Why this change"),
        required=False,
        help_text=_("Required: it is kept with the revision."),
    )

    def __init__(
        self,
        *args: Any,
        services: list[tuple[int, str]],
        organisations: list[tuple[int, str]],
        creating: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        empty = [("", "—")]
        self.fields["service"].choices = [*empty, *services]  # type: ignore[attr-defined]
        self.fields["owner"].choices = [*empty, *organisations]  # type: ignore[attr-defined]
        self.creating = creating
        if not creating:
            del self.fields["external_id"]
        for code in LANGUAGES:
            self.fields[f"title_{code}"] = forms.CharField(label=_("Title"), required=False)
            self.fields[f"keywords_{code}"] = forms.CharField(
                label=_("Keywords"),
                required=False,
                help_text=_("Separated by commas: the words citizens use."),
            )
            self.fields[f"body_{code}"] = forms.CharField(
                label=_("Text"),
                required=False,
                widget=forms.Textarea(attrs={"rows": 16}),
                help_text=_(
                    "Simple HTML: paragraphs, lists, bold, links, headings and tables. "
                    "Anything else is removed."
                ),
                strip=False,
            )

    def related_external_ids(self) -> list[str]:
        return list(split_keywords(self.cleaned_data.get("related") or ""))

    def related_ids(self) -> tuple[int, ...] | None:
        wanted = self.related_external_ids()
        found = dict(
            Article.objects.filter(external_id__in=wanted).values_list("external_id", "pk")
        )
        missing = [external_id for external_id in wanted if external_id not in found]
        if missing:
            self.add_error("related", _("Link only to articles that exist."))
            return None
        return tuple(found[external_id] for external_id in wanted)

    def article_input(self, related_ids: tuple[int, ...] | None) -> ArticleInput:
        data = self.cleaned_data
        return ArticleInput(
            kind=data["kind"],
            service_id=data.get("service"),
            owner_id=data.get("owner"),
            source=data["source"],
            source_reference=data.get("source_reference") or "",
            effective_from=data.get("effective_from"),
            is_public=bool(data.get("is_public")),
            related_ids=related_ids,
        )

    def text_inputs(self) -> dict[str, TextInput]:
        data = self.cleaned_data
        return {
            code: TextInput(
                title=data.get(f"title_{code}") or "",
                keywords=split_keywords(data.get(f"keywords_{code}") or ""),
                body=data.get(f"body_{code}") or "",
            )
            for code in LANGUAGES
        }

    def language_fields(self) -> list[dict[str, Any]]:
        """The per-language fields in kk, ru, en order, for the side-by-side template."""
        return [
            {
                "code": code,
                "label": LANGUAGE_LABELS[code],
                "native": Language(code).label,
                "title": self[f"title_{code}"],
                "keywords": self[f"keywords_{code}"],
                "body": self[f"body_{code}"],
            }
            for code in LANGUAGES
        ]


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=COMMENT_MAX, required=False)


class SynonymForm(forms.Form):
    terms = forms.CharField(
        label=_("Words and phrases that mean the same"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("One per line, e.g. ЦОН, ХҚКО, центр обслуживания населения."),
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def term_list(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["terms"].splitlines() if line.strip()]


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("File"))
    title = forms.CharField(label=_("Title"), max_length=300, required=False)
    language = forms.ChoiceField(
        label=_("Language"),
        choices=[("", _("Every language")), *Language.choices],
        required=False,
    )
