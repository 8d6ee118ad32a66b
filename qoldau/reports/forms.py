from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from qoldau.core.widgets import CalendarDateInput


class PeriodForm(forms.Form):
    """A period of local dates, both included; either end may be left empty."""

    date_from = forms.DateField(label=_("From"), required=False, widget=CalendarDateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=CalendarDateInput())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, last = data.get("date_from"), data.get("date_to")
        if first and last and last < first:
            self.add_error("date_to", _("The end of the period is before its start."))
        return data
