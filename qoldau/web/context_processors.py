"""What every page's frame needs: the person's navigation and the language switch (R2, R34)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from qoldau.web.navigation import Section, navigation_links, navigation_sections

# Each language is offered under its own name, so anyone can find theirs; Kazakh first (R34).
LANGUAGE_AUTONYMS = {"kk": "Қазақша", "ru": "Русский", "en": "English"}


def language_choices() -> list[tuple[str, str]]:
    return [(code, LANGUAGE_AUTONYMS.get(code, code)) for code, _name in settings.LANGUAGES]


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)

    def sections() -> list[Section]:
        return navigation_sections(user, request.path)

    # Lazy: a page that shows no navigation (the sign-in form, an API error) resolves nothing.
    nav_sections = SimpleLazyObject(sections)
    return {
        "nav_sections": nav_sections,
        "nav_items": SimpleLazyObject(lambda: navigation_links(nav_sections)),
        "language_choices": language_choices(),
    }
