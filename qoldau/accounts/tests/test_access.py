from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from qoldau.accounts.access import (
    access_can_manage_registry,
    access_can_read_organisation,
    access_organisation_ids,
    access_require_role,
    access_scope,
)
from qoldau.accounts.enums import Role
from qoldau.accounts.models import User
from qoldau.accounts.services import user_create, user_set_roles
from qoldau.core.errors import PermissionDenied
from qoldau.registry.enums import OrganisationKind
from qoldau.registry.models import Organisation

pytestmark = pytest.mark.django_db

PASSWORD = "Correct-horse-42"


def _org(name: str, kind: str = OrganisationKind.CENTRAL_STATE_BODY) -> Organisation:
    return Organisation.objects.create(kind=kind, name_kk=name, name_ru=name)


def _user(username: str, org: Organisation | None, *roles: str) -> User:
    return user_create(
        username=username, password=PASSWORD, organisation_id=org.pk if org else None, roles=roles
    )


def test_partner_sees_only_its_own_organisation() -> None:
    a, b = _org("A"), _org("B")
    partner = _user("partner", a, Role.RESPONSIBLE_PERSON)
    assert access_organisation_ids(partner) == frozenset({a.pk})
    assert access_can_read_organisation(partner, a.pk)
    assert not access_can_read_organisation(partner, b.pk)
    assert list(access_scope(Organisation.objects.all(), partner, field="pk")) == [a]
    assert access_can_manage_registry(partner, a.pk)
    assert not access_can_manage_registry(partner, b.pk)


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.SUPERVISOR, Role.QUALITY_OFFICER])
def test_contact_center_and_authorized_bodies_see_every_organisation(role: str) -> None:
    ucc = _org("UCC", OrganisationKind.UCC)
    b = _org("B")
    user = _user("staff", ucc, role)
    assert access_organisation_ids(user) is None
    assert access_can_read_organisation(user, b.pk)
    assert access_scope(Organisation.objects.all(), user, field="pk").count() == 2
    assert not access_can_manage_registry(user, b.pk)


def test_person_without_organisation_or_anonymous_sees_nothing() -> None:
    from django.contrib.auth.models import AnonymousUser

    _org("A")
    citizen = _user("citizen", None, Role.RECIPIENT)
    assert access_organisation_ids(citizen) == frozenset()
    assert access_scope(Organisation.objects.all(), citizen, field="pk").count() == 0
    assert access_organisation_ids(AnonymousUser()) == frozenset()
    with pytest.raises(PermissionDenied):
        access_require_role(AnonymousUser(), Role.OPERATOR)


def test_roles_can_change_and_the_cache_follows() -> None:
    user = _user("u", None, Role.OPERATOR)
    assert user.has_role(Role.OPERATOR)
    user_set_roles(user=user, roles=[Role.SUPERVISOR, Role.KB_EDITOR], actor=None)
    assert user.role_codes() == {Role.SUPERVISOR, Role.KB_EDITOR}
    fresh = User.objects.get(pk=user.pk)
    assert fresh.has_role(Role.KB_EDITOR)
    assert not fresh.has_role(Role.OPERATOR)


@pytest.mark.parametrize(
    "password", ["short1A", "onlyletterslongenough", "123456789012345", "password1234"]
)
def test_password_policy_refuses_weak_passwords(password: str) -> None:
    with pytest.raises(ValidationError):
        validate_password(password)


def test_password_policy_accepts_a_decent_one() -> None:
    validate_password("Zhetisu-river-2026")
