from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation


class UserLanguageMiddleware:
    """A signed-in person's chosen language wins over the browser's (R34: remembered per user).

    Pages live under /kk/, /ru/, /en/; a path in another language than the person's choice is
    still served in the path's language, so links and bookmarks stay stable.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        path_language = translation.get_language_from_path(request.path_info)
        if user is not None and user.is_authenticated and not path_language:
            language = getattr(user, "language", "") or settings.LANGUAGE_CODE
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)
