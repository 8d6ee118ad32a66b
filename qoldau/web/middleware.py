"""Input no database can store, refused before any view sees it."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import render
from django.utils.translation import gettext as _

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _field_with_zero_byte(fields: QueryDict) -> str | None:
    for name, values in fields.lists():
        if "\x00" in name or any("\x00" in value for value in _texts(values)):
            return name.replace("\x00", "")
    return None


def _texts(values: Iterable[object]) -> Iterable[str]:
    return (value for value in values if isinstance(value, str))


class ZeroByteMiddleware:
    """A query string or form field holding a zero byte (U+0000) gets a 400 naming the field.

    No one types that character; it comes from pasted binary or a crafted request. PostgreSQL
    text cannot hold it, so a view would otherwise fail with a 500 deep in a query (SQLite would
    store it). Forms are read only when the body is a form: a webhook's JSON body stays
    unread for its view."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        field = _field_with_zero_byte(request.GET)
        if field is None and request.method == "POST" and request.content_type in _FORM_TYPES:
            field = _field_with_zero_byte(request.POST)
        if field is None:
            return self.get_response(request)
        message = _(
            "The field “%(field)s” holds a zero byte, a character that is not text. Remove it "
            "(paste the text as plain text) and send again."
        ) % {"field": field}
        if request.path.startswith("/api/"):
            error = {"code": "zero_byte", "message": message, "field": field}
            return JsonResponse({**error, "errors": [error]}, status=400)
        return render(request, "400.html", {"message": message}, status=400)
