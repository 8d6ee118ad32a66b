"""One mapping of errors to HTTP for the whole API: a uniform body naming the field."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from qoldau.core.errors import DomainError, ValidationFailed


def _error(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    return {"code": code, "message": message, "field": field}


def _message(exc: DomainError) -> str:
    """The message in the request's language, with its parameters filled in."""
    text = str(exc.message)
    if exc.params:
        try:
            return text % exc.params
        except (KeyError, TypeError, ValueError):
            return text
    return text


def domain_error_body(exc: DomainError) -> tuple[int, dict[str, Any]]:
    """The HTTP status and the uniform body of a domain error (also used by the lean intake
    path of ADR 0009, which answers without ninja)."""
    if isinstance(exc, ValidationFailed):
        errors = [_error(e.code, _message(e), e.field) for e in exc.errors]
        first = errors[0] if errors else _error(exc.code, _message(exc))
        body = {"code": exc.code, "message": first["message"], "field": first["field"]}
        return 422, {**body, "errors": errors}
    body = _error(exc.code, _message(exc), exc.field)
    body["errors"] = [dict(body)] if exc.field else []
    return exc.status, body


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(DomainError)
    def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        status, body = domain_error_body(exc)
        return api.create_response(request, body, status=status)

    @api.exception_handler(ValidationError)
    def on_schema_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = []
        for item in exc.errors:
            loc = [
                str(part)
                for part in item.get("loc", [])
                if part not in {"body", "query", "payload"}
            ]
            errors.append(
                _error(
                    str(item.get("type", "invalid")),
                    str(item.get("msg", "")),
                    ".".join(loc) or None,
                )
            )
        first = errors[0] if errors else _error("invalid", "", None)
        return api.create_response(
            request,
            {
                "code": "validation_failed",
                "message": first["message"],
                "field": first["field"],
                "errors": errors,
            },
            status=422,
        )

    @api.exception_handler(AuthenticationError)
    def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        from django.utils.translation import gettext as _

        return api.create_response(
            request,
            {
                "code": "unauthenticated",
                "message": _("Sign in or send a valid API key."),
                "field": None,
                "errors": [],
            },
            status=401,
        )

    @api.exception_handler(HttpError)
    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        """ninja's own refusals (a body that is not JSON, throttling) in the uniform body."""
        from django.utils.translation import gettext as _

        if exc.status_code == 400 and str(exc).startswith("Cannot parse request body"):
            message = _("The request body is not valid JSON: send one JSON object.")
            body = _error("body_not_json", message, "body")
        else:
            body = _error(f"http_{exc.status_code}", str(exc))
        body["errors"] = [dict(body)] if body["field"] else []
        return api.create_response(request, body, status=exc.status_code)
