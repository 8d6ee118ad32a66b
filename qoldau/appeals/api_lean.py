"""The lean path of ``POST /api/v1/appeals/`` for API-key clients (issue 4, ADR 0009).

A middleware placed before the session, locale, CSRF, authentication and message middleware.
It serves an intake itself only when the request is the common, well-formed case: an active
API key, no session cookie, a JSON object whose fields have the schema's types. Then it does
what the ninja view does — the same services, the same response, the same error bodies, the
same headers — without those middleware, ninja and pydantic, which cost most of a request's
CPU. Anything else (no key or a wrong one, a session, a body pydantic would refuse or coerce)
goes down the full stack unchanged, so its answer (401, 403, CSRF, pydantic's field errors)
is the one it always was.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import ResolverMatch, resolve
from django.utils import translation

from qoldau.accounts.services import api_key_authenticate
from qoldau.appeals.api import AppealIn, appeal_as_json
from qoldau.appeals.intake import appeal_register_idempotent
from qoldau.appeals.services import appeal_register
from qoldau.core.api_errors import domain_error_body
from qoldau.core.errors import DomainError

PATH = "/api/v1/appeals/"

# The schema's text fields and their defaults, as ``AppealIn(...).dict()`` fills them in.
_TEXT_FIELDS: tuple[tuple[str, str], ...] = tuple(
    (name, str(info.default))
    for name, info in AppealIn.model_fields.items()
    if info.annotation is str
)
# A full date-time with its offset: pydantic and ``fromisoformat`` read these alike; any other
# form is left to pydantic (the full path), which may accept, coerce or refuse it.
_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})")
_JSON_TYPES = ("application/json",)
# The headers the skipped middleware add to the intake's answer (locale and session: Vary;
# clickjacking: X-Frame-Options); the security middleware still runs before this one.
_VARY = "Accept-Language, Cookie"


def decode_intake(body: bytes) -> dict[str, Any] | None:
    """The request body as the view's ``payload.dict()``, or None when only pydantic can say
    what it is (not JSON, not an object, a field of another type, another date form)."""
    try:
        raw = json.loads(body)
    except ValueError:
        return None
    if not isinstance(raw, dict):
        return None
    data: dict[str, Any] = {}
    for name, default in _TEXT_FIELDS:
        value = raw.get(name, default)
        if type(value) is not str:
            return None
        data[name] = value
    moment = raw.get("received_at")
    if moment is not None:
        if type(moment) is not str or _MOMENT.fullmatch(moment) is None:
            return None
        try:
            moment = dt.datetime.fromisoformat(moment)
        except ValueError:
            return None
    data["received_at"] = moment
    return data


def _api_key(request: HttpRequest) -> str:
    raw = request.headers.get("X-API-Key") or ""
    if not raw:
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            raw = header[len("Bearer ") :].strip()
    return raw


_route: ResolverMatch | None = None


def _resolver_match() -> ResolverMatch:
    """The route of the intake, for the metrics middleware's label (resolved once)."""
    global _route
    if _route is None:
        _route = resolve(PATH)
    return _route


class ApiIntakeMiddleware:
    """Serve API-key intakes without the rest of the stack; pass everything else on."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info != PATH or request.method != "POST":
            return self.get_response(request)
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            return self.get_response(request)  # a person's session decides language and auth
        if (request.content_type or "") not in _JSON_TYPES or settings.DISALLOWED_USER_AGENTS:
            return self.get_response(request)
        request.get_host()  # ALLOWED_HOSTS, as the common middleware checks it
        raw_key = _api_key(request)
        actor = api_key_authenticate(raw_key) if raw_key else None
        if actor is None:
            return self.get_response(request)
        data = decode_intake(request.body)
        if data is None:
            return self.get_response(request)
        request.resolver_match = _resolver_match()
        language = translation.get_language_from_request(request)
        with translation.override(language):
            response = _serve(request, actor, data)
            response["Content-Language"] = language
        response["Content-Length"] = str(len(response.content))  # as the common middleware
        response["Vary"] = _VARY
        response["X-Frame-Options"] = getattr(settings, "X_FRAME_OPTIONS", "DENY").upper()
        return response


def _serve(request: HttpRequest, actor: Any, data: dict[str, Any]) -> HttpResponse:
    """What ``qoldau.appeals.api.create_appeal`` does once ninja has authenticated the key and
    parsed the body (an API key may always register: ``_require_intake``)."""
    key = request.headers.get("Idempotency-Key")
    try:
        if key is None:
            appeal = appeal_register(actor=actor, data=data)
            return _json(appeal_as_json(appeal), 201, "application/json")
        status, body, replayed = appeal_register_idempotent(
            actor=actor, data=data, key=key, render=appeal_as_json
        )
    except DomainError as exc:
        status, body = domain_error_body(exc)
        return _json(body, status, "application/json; charset=utf-8")  # as ninja renders it
    response = _json(body, status, "application/json")
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return response


def _json(body: dict[str, Any], status: int, content_type: str) -> HttpResponse:
    return HttpResponse(json.dumps(body), status=status, content_type=content_type)
