"""Who may see and do what (R2). Later apps scope every query and action through these helpers.

An *actor* is a signed-in ``User`` or a machine client's ``ApiKey``; both carry an organisation
and roles. The contact center's staff and the two authorized bodies work across organisations;
everyone else sees only their own organisation's private data.
"""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from django.db.models import Model, QuerySet
from django.utils.translation import gettext_lazy as _

from qoldau.accounts.enums import AUTHORIZED_BODY_ROLES, UCC_ROLES, Role
from qoldau.core.errors import PermissionDenied


class Actor(Protocol):
    @property
    def is_authenticated(self) -> bool: ...
    @property
    def is_superuser(self) -> bool: ...
    @property
    def organisation_id(self) -> int | None: ...
    def has_role(self, *roles: str) -> bool: ...


M = TypeVar("M", bound=Model)


def _signed_in(actor: Actor | Any) -> bool:
    return bool(actor is not None and getattr(actor, "is_authenticated", False))


def access_is_ucc_staff(actor: Actor | Any) -> bool:
    """Operators, supervisors, editors and administrators of the contact center."""
    return _signed_in(actor) and (actor.is_superuser or actor.has_role(*UCC_ROLES))


def access_is_authorized_body(actor: Actor | Any) -> bool:
    return _signed_in(actor) and actor.has_role(*AUTHORIZED_BODY_ROLES)


def access_sees_all_organisations(actor: Actor | Any) -> bool:
    return access_is_ucc_staff(actor) or access_is_authorized_body(actor)


def access_organisation_ids(actor: Actor | Any) -> frozenset[int] | None:
    """The organisations whose private data the actor may read; None means every one."""
    if access_sees_all_organisations(actor):
        return None
    if _signed_in(actor) and actor.organisation_id is not None:
        return frozenset({actor.organisation_id})
    return frozenset()


def access_scope(
    queryset: QuerySet[M], actor: Actor | Any, field: str = "organisation"
) -> QuerySet[M]:
    """Limit ``queryset`` to rows of organisations the actor may see."""
    allowed = access_organisation_ids(actor)
    if allowed is None:
        return queryset
    return queryset.filter(**{f"{field}__in": allowed})


def access_can_read_organisation(actor: Actor | Any, organisation_id: int | None) -> bool:
    allowed = access_organisation_ids(actor)
    return allowed is None or (organisation_id is not None and organisation_id in allowed)


def access_can_manage_registry(actor: Actor | Any, organisation_id: int | None = None) -> bool:
    """Administrators change any card; a state body's responsible person changes its own (p.26)."""
    if not _signed_in(actor):
        return False
    if actor.is_superuser or actor.has_role(Role.UCC_ADMIN):
        return True
    return (
        actor.has_role(Role.RESPONSIBLE_PERSON)
        and organisation_id is not None
        and actor.organisation_id == organisation_id
    )


def access_require_role(actor: Actor | Any, *roles: str) -> None:
    if not _signed_in(actor) or not (actor.is_superuser or actor.has_role(*roles)):
        raise PermissionDenied("forbidden", _("You do not have permission to do this."))


def access_require_organisation(actor: Actor | Any, organisation_id: int | None) -> None:
    if not access_can_read_organisation(actor, organisation_id):
        raise PermissionDenied("forbidden", _("You do not have permission to do this."))
