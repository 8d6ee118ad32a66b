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


class CookieSessionAuth(SessionAuth):
    """A signed-in person's session, with its CSRF check. A request without a session cookie
    has no session to forge, so it is not checked: a client whose API key is wrong or missing
    hears 401, not "CSRF check Failed"."""

    def _get_key(self, request: HttpRequest) -> str | None:
        if self.param_name not in request.COOKIES:
            return None
        return super()._get_key(request)


api_auth = [ApiKeyAuth(), CookieSessionAuth()]


def actor_of(request: HttpRequest) -> Any:
    """The authenticated actor (ApiKey or User) of an API request."""
    auth = getattr(request, "auth", None)
    return auth if auth is not None else request.user
