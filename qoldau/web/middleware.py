"""Input no database can store, refused before any view sees it."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.http import HttpRequest, HttpResponse, QueryDict
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
    """A page's query string or form field holding a zero byte (U+0000) gets a 400 naming the
    field, as Django's forms already refuse it in their fields.

    No one types that character; it comes from pasted binary or a crafted request. PostgreSQL
    text cannot hold it, so a view reading the raw form would fail with a 500 deep in a query
    (SQLite would store it). The API is left alone: its inputs are cleaned of control
    characters where they are read. A form is read only where the CSRF check reads it anyway,
    so a view exempt from that check still reads its own body."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponse],
        view_args: tuple[object, ...],
        view_kwargs: dict[str, object],
    ) -> HttpResponse | None:
        if request.path.startswith("/api/"):
            return None
        field = _field_with_zero_byte(request.GET)
        if (
            field is None
            and request.method == "POST"
            and request.content_type in _FORM_TYPES
            and not getattr(view_func, "csrf_exempt", False)
        ):
            field = _field_with_zero_byte(request.POST)
        if field is None:
            return None
        message = _(
            "The field “%(field)s” holds a zero byte, a character that is not text. Remove it "
            "(paste the text as plain text) and send again."
        ) % {"field": field}
        return render(request, "400.html", {"message": message}, status=400)
