"""Who may change the knowledge base: its editors and the contact center's administrators.
``actor`` None is the system itself (imports, the service-card sync, the by-law event)."""

from __future__ import annotations

from typing import Any, Final

from qoldau.accounts.access import access_require_role
from qoldau.accounts.enums import Role

EDITOR_ROLES: Final = (Role.KB_EDITOR, Role.UCC_ADMIN)


def require_editor(actor: Any) -> None:
    if actor is not None:
        access_require_role(actor, *EDITOR_ROLES)


def user_id_of(actor: Any) -> int | None:
    """The person behind an actor (an API key or the system has none)."""
    if actor is None or not hasattr(actor, "get_username"):
        return None
    return int(actor.pk)
