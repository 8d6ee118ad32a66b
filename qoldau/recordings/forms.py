"""Forms of the recordings screens: they parse input only; the rules live in ``requests.py``."""

from __future__ import annotations

import contextlib

from django import forms
from django.utils.translation import gettext_lazy as _

from qoldau.core.errors import ValidationFailed
from qoldau.core.widgets import CalendarDateInput


class RequestForm(forms.Form):
    """An authorized body's written request for call recordings (R17, Rules p.14)."""

    document = forms.FileField(
        label=_("Written request (PDF, JPEG or PNG)"),
        required=False,  # checked by the service, so every error reads the same everywhere
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )
    call_date = forms.CharField(
        label=_("Date of the call"),
        required=False,
        widget=CalendarDateInput(),
    )
    phone = forms.CharField(
        label=_("Phone number"),
        required=False,
        max_length=32,
        help_text=_("Any form: 8 701 234 56 78, +7 701 234 56 78 or 701 234 56 78."),
    )
    reference = forms.CharField(
        label=_("Outgoing number of the letter (optional)"), required=False, max_length=100
    )


def add_domain_errors(form: forms.Form, exc: ValidationFailed) -> None:
    """Show each field error of a service on its field (or on the form when it has none)."""
    for error in exc.errors:
        message = str(error.message)
        if error.params:
            with contextlib.suppress(KeyError, TypeError, ValueError):
                message = message % error.params
        field = error.field if error.field in form.fields else None
        form.add_error(field, message)
