"""Form widgets shared by the apps' forms."""

from __future__ import annotations

from typing import Any

from django import forms


class CalendarDateInput(forms.DateInput):
    """The browser's date picker (``<input type="date">``). Its value must be ISO 8601 whatever
    the page's language: the Kazakh and Russian input formats (01.12.2026) would make the
    browser drop the value and show an empty field."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")
