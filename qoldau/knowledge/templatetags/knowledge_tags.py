"""Template helpers of the knowledge pages: highlighted segments, status labels."""

from __future__ import annotations

from collections.abc import Iterable

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from qoldau.core.errors import DomainError
from qoldau.knowledge.enums import TranslationStatus
from qoldau.policy.selectors import policy_citation

register = template.Library()


@register.filter
def marks(segments: Iterable[tuple[str, bool]] | None) -> SafeString:
    """Text segments as HTML, the matched words in <mark> (everything escaped)."""
    return format_html_join(
        "",
        "{}",
        (
            (format_html("<mark>{}</mark>", text) if marked else text,)
            for text, marked in segments or ()
        ),
    )


@register.filter
def status_label(status: str) -> str:
    try:
        return str(TranslationStatus(status).label)
    except ValueError:
        return ""


@register.filter
def get_item(mapping: dict[object, object], key: object) -> object:
    return mapping.get(key) if mapping else None


@register.filter
def rule_citation(rule_id: int | None) -> str:
    """The paragraph of the Rules behind a deadline, in the reader's language ("Rules p.26")."""
    if not rule_id:
        return ""
    try:
        return policy_citation(int(rule_id))
    except DomainError:
        return ""
