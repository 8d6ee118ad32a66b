"""Formatting of report figures: seconds, shares, averages; "—" where a figure is undefined."""

from __future__ import annotations

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

register = template.Library()
DASH = "—"


@register.filter
def seconds(value: float | None) -> str:
    if value is None:
        return DASH
    whole = round(value)
    if whole >= 60:
        return _("%(minutes)s min %(seconds)s s") % {
            "minutes": whole // 60,
            "seconds": f"{whole % 60:02d}",
        }
    return _("%(seconds)s s") % {"seconds": whole}


@register.filter
def percent(value: float | None) -> str:
    if value is None:
        return DASH
    return _("%(value)s %%") % {"value": number_format(value * 100, 1)}


@register.filter
def score(value: float | None) -> str:
    return DASH if value is None else number_format(value, 2)


@register.filter
def at(sequence: list[object] | tuple[object, ...], index: int) -> object:
    return sequence[index]


@register.filter
def get_item(mapping: dict[str, object], key: str) -> object:
    return mapping.get(key, "")
