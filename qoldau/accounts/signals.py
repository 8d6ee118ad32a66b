"""Login bookkeeping: remember the person's language in the cookie, and audit the sign-in."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from qoldau.audit.services import audit_record


@receiver(user_logged_in)
def on_login(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    audit_record(actor=user, action="accounts.signed_in", target=user)


@receiver(user_login_failed)
def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    audit_record(
        actor=None,
        action="accounts.sign_in_failed",
        target=None,
        changes={"username": str(credentials.get("username", ""))[:150]},
    )
