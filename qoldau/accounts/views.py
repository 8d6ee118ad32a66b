from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from qoldau.accounts.services import user_set_language


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the interface language and remember it for the signed-in person (R34)."""
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in {"kk", "ru", "en"}:
        user_set_language(user=request.user, language=language)
    return django_set_language(request)
