"""Forms of the appeals screens: they parse input only; the rules live in ``inputs.py``."""

from __future__ import annotations

import contextlib
from typing import Any, TypeVar

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from qoldau.appeals.enums import Category, Channel, ComplaintType, Language, LinkKind, Status
from qoldau.core.errors import DomainError, ValidationFailed
from qoldau.core.form_tokens import form_token_new
from qoldau.core.widgets import CalendarDateInput

LANGUAGE_CHOICES = Language.choices


class SentOnceForm(forms.Form):
    """A form whose sending registers an appeal: a hidden one-time token, made when the form is
    shown, lets the same form sent twice register once (``submissions.py``)."""

    submission = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("submission", form_token_new())


FormT = TypeVar("FormT", bound=SentOnceForm)


def form_sent_again(
    form_class: type[FormT], request: Any, message: str, **form_options: Any
) -> FormT:
    """The form as the applicant filled it, with a new token and ``message`` above it."""
    data = request.POST.copy()
    data["submission"] = form_token_new()
    form = form_class(data, request.FILES or None, **form_options)
    form.is_valid()
    form.add_error(None, message)
    return form


class AppealForm(SentOnceForm):
    """The operator's compact registration form, ordered for the keyboard."""

    content = forms.CharField(
        label=_("Question or request"), widget=forms.Textarea(attrs={"rows": 4})
    )
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    language = forms.ChoiceField(label=_("Language of the applicant"), choices=LANGUAGE_CHOICES)
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.PHONE)
    line = forms.CharField(label=_("Line"), required=False, initial="1414")
    name = forms.CharField(label=_("Applicant's name"), required=False, max_length=200)
    phone = forms.CharField(label=_("Phone"), required=False, max_length=32)
    iin_bin = forms.CharField(label=_("IIN or BIN"), required=False, max_length=20)
    email = forms.CharField(label=_("E-mail"), required=False, max_length=254)
    region = forms.CharField(label=_("Region (KATO or ISO code)"), required=False, max_length=20)
    service = forms.CharField(
        label=_("Public service (register number)"), required=False, max_length=32
    )
    complaint_type = forms.ChoiceField(
        label=_("Complaint type"),
        choices=[("", "—"), *ComplaintType.choices],
        required=False,
    )
    non_compliance = forms.CharField(
        label=_("Description of the non-compliance"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    complaint_body = forms.CharField(
        label=_("Body complained about (BIN)"), required=False, max_length=20
    )
    official_name = forms.CharField(label=_("Official's full name"), required=False)
    motives = forms.CharField(
        label=_("Motives"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    demands = forms.CharField(
        label=_("Demands"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    attachment = forms.FileField(label=_("File (optional)"), required=False)


class PublicAppealForm(SentOnceForm):
    """The citizens' form (no login): fewer fields, and a honeypot that people never see."""

    name = forms.CharField(label=_("Your name"), max_length=200)
    email = forms.CharField(label=_("E-mail"), required=False, max_length=254)
    phone = forms.CharField(label=_("Phone"), required=False, max_length=32)
    iin_bin = forms.CharField(label=_("IIN or BIN (optional)"), required=False, max_length=20)
    content = forms.CharField(
        label=_("Your question or request"), widget=forms.Textarea(attrs={"rows": 6})
    )
    attachment = forms.FileField(label=_("File (optional)"), required=False)
    # Bots fill every field; people do not see this one (hidden with CSS and aria-hidden).
    website = forms.CharField(label=_("Leave this field empty"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("email") and not data.get("phone"):
            self.add_error("email", _("Give an e-mail or a phone number to check the status."))
        return data


class StatusForm(forms.Form):
    number = forms.CharField(label=_("Appeal number"), max_length=20)
    contact = forms.CharField(label=_("The e-mail or phone you gave"), max_length=254)


class FilterForm(forms.Form):
    q = forms.CharField(label=_("Number, phone, IIN or e-mail"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", pgettext_lazy("filter", "Any")), *Status.choices],
        required=False,
    )
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=[("", pgettext_lazy("filter", "Any")), *Channel.choices],
        required=False,
    )
    category = forms.ChoiceField(
        label=_("Category"),
        choices=[("", pgettext_lazy("filter", "Any")), *Category.choices],
        required=False,
    )
    service = forms.CharField(label=_("Service"), required=False, max_length=32)
    region = forms.CharField(label=_("Region"), required=False, max_length=20)
    date_from = forms.DateField(label=_("From"), required=False, widget=CalendarDateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=CalendarDateInput())
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)


class LinkForm(forms.Form):
    other_number = forms.CharField(label=_("Other appeal's number"), max_length=20)
    kind = forms.ChoiceField(label=_("Kind"), choices=LinkKind.choices)


def _filled(message: Any, params: Any) -> str:
    text = str(message)
    if params:
        with contextlib.suppress(KeyError, TypeError, ValueError):
            text = text % params
    return text


def error_text(exc: DomainError) -> str:
    """A service's message with its parameters filled in."""
    return _filled(exc.message, exc.params)


def add_domain_errors(form: forms.Form, exc: ValidationFailed) -> None:
    """Show each field error of a service on its field (or on the form when it has none)."""
    for error in exc.errors:
        field = error.field if error.field in form.fields else None
        form.add_error(field, _filled(error.message, error.params))
