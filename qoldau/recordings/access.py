"""Who may reach recordings and recording requests (R2, R17).

- Listening, and handling the authorized bodies' requests, is the work of the contact center's
  quality staff: the supervisor and quality controller and the administrator. Operators do not
  listen (their calls are checked by the supervisors, and a recording is personal data that the
  operator's work does not need); partners and citizens never reach a recording.
- Filing a request, and downloading what was delivered, is for the officers of the two
  authorized bodies, each seeing only the requests of their own organisation.
"""

from __future__ import annotations

from typing import Any, Final

from django.utils.translation import gettext_lazy as _

from qoldau.accounts.access import access_require_role
from qoldau.accounts.enums import AUTHORIZED_BODY_ROLES, Role
from qoldau.core.errors import PermissionDenied

QUALITY_ROLES: Final = (Role.SUPERVISOR, Role.UCC_ADMIN)


def _signed_in(actor: Any) -> bool:
    return bool(actor is not None and getattr(actor, "is_authenticated", False))


def can_listen(actor: Any) -> bool:
    try:
        access_require_role(actor, *QUALITY_ROLES)
    except PermissionDenied:
        return False
    return True


def require_quality_staff(actor: Any) -> None:
    if not can_listen(actor):
        raise PermissionDenied(
            "recordings_forbidden",
            _("Only the contact center's supervisors and administrators may do this."),
        )


def is_authorized_body(actor: Any) -> bool:
    """An officer of either authorized body with an organisation (no superuser shortcut: a
    request is the body's own act)."""
    return (
        _signed_in(actor)
        and actor.has_role(*AUTHORIZED_BODY_ROLES)
        and getattr(actor, "organisation_id", None) is not None
    )


def require_authorized_body(actor: Any) -> None:
    if not is_authorized_body(actor):
        raise PermissionDenied(
            "recordings_not_authorized_body",
            _("Only an officer of an authorized body may request call recordings."),
        )


def can_see_request(actor: Any, organisation_id: int) -> bool:
    if can_listen(actor):
        return True
    return is_authorized_body(actor) and actor.organisation_id == organisation_id
