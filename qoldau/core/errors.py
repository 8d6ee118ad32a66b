"""Domain errors: a stable code, a translatable message and, for bad input, the field."""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise


class DomainError(Exception):
    """Raised by services; the API maps ``status`` to HTTP, views show ``message``."""

    status = 400

    def __init__(
        self,
        code: str,
        message: str | Promise,
        *,
        field: str | None = None,
        params: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(code)
        self.code = code
        self.message = message
        self.field = field
        self.params = params or {}

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class ValidationFailed(DomainError):
    """Several field errors at once; nothing was changed."""

    status = 422

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("validation_failed", errors[0].message if errors else "")
        self.errors = errors


class FieldError(DomainError):
    status = 422

    def __init__(self, field: str, code: str, message: str | Promise, **params: Any) -> None:
        super().__init__(code, message, field=field, params=params)


class NotFound(DomainError):
    status = 404


class PermissionDenied(DomainError):
    status = 403


class Conflict(DomainError):
    status = 409
