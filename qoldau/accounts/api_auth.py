"""Authentication for the API: a machine client's key, or a signed-in person's session."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import APIKeyHeader, SessionAuth

from qoldau.accounts.services import api_key_authenticate


class ApiKeyAuth(APIKeyHeader):
    param_name = "X-API-Key"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        raw = key or ""
        if not raw:
            header = request.headers.get("Authorization", "")
            if header.startswith("Bearer "):
                raw = header[len("Bearer ") :].strip()
        return api_key_authenticate(raw) if raw else None

    def __call__(self, request: HttpRequest) -> Any:
        # Also accept "Authorization: Bearer", which APIKeyHeader alone would not look at.
        return self.authenticate(request, request.headers.get(self.param_name))


api_auth = [ApiKeyAuth(), SessionAuth()]


def actor_of(request: HttpRequest) -> Any:
    """The authenticated actor (ApiKey or User) of an API request."""
    auth = getattr(request, "auth", None)
    return auth if auth is not None else request.user
