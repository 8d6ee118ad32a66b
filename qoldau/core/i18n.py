"""Helpers for content with one column per language (``name_kk``, ``name_ru``, ``name_en``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import translation

LANGUAGE_CODES: tuple[str, ...] = tuple(code for code, _label in settings.LANGUAGES)
# Kazakh is the state language and always filled in; Russian is the next fallback.
FALLBACK_ORDER: tuple[str, ...] = ("kk", "ru", "en")


def current_language() -> str:
    code = (translation.get_language() or settings.LANGUAGE_CODE).split("-")[0]
    return code if code in LANGUAGE_CODES else settings.LANGUAGE_CODE


def localized(obj: Any, field: str, language: str | None = None) -> str:
    """The value of ``<field>_<language>``, falling back to kk, ru, en where it is empty."""
    wanted = language or current_language()
    for code in (wanted, *FALLBACK_ORDER):
        value = getattr(obj, f"{field}_{code}", "") or ""
        if value:
            return str(value)
    return ""
