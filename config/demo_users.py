"""The demo's sign-in accounts: one per role (R2), each in a fitting organisation."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from qoldau.accounts.enums import Role
from qoldau.accounts.models import User
from qoldau.accounts.services import user_create, user_set_roles
from qoldau.registry.enums import OrganisationKind
from qoldau.registry.models import Organisation


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    roles: tuple[str, ...]
    organisation_kind: str | None
    first_name: str
    last_name: str
    language: str
    staff: bool = False


# Synthetic people; passwords are for the local demo only (the command refuses production).
DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount(
        "operator",
        "Operator-1414-demo",
        (Role.OPERATOR,),
        OrganisationKind.UCC,
        "Айгерім",
        "Сейітова",
        "kk",
    ),
    DemoAccount(
        "supervisor",
        "Supervisor-1414-demo",
        (Role.SUPERVISOR,),
        OrganisationKind.UCC,
        "Ерлан",
        "Жақыпов",
        "ru",
    ),
    DemoAccount(
        "editor",
        "Editor-1414-demo",
        (Role.KB_EDITOR,),
        OrganisationKind.UCC,
        "Дана",
        "Омарова",
        "kk",
    ),
    DemoAccount(
        "admin",
        "Admin-1414-demo",
        (Role.UCC_ADMIN,),
        OrganisationKind.UCC,
        "Нұрлан",
        "Әбенов",
        "ru",
        staff=True,
    ),
    DemoAccount(
        "partner",
        "Partner-1414-demo",
        (Role.RESPONSIBLE_PERSON,),
        OrganisationKind.CENTRAL_STATE_BODY,
        "Гүлнар",
        "Тоқтарова",
        "kk",
    ),
    DemoAccount(
        "informatization",
        "Informatization-1414-demo",
        (Role.INFORMATIZATION_OFFICER,),
        OrganisationKind.INFORMATIZATION_BODY,
        "Асқар",
        "Бекмұхамбетов",
        "ru",
    ),
    DemoAccount(
        "quality",
        "Quality-1414-demo",
        (Role.QUALITY_OFFICER,),
        OrganisationKind.QUALITY_BODY,
        "Сәуле",
        "Қасымова",
        "kk",
    ),
    DemoAccount(
        "ici",
        "Ici-1414-demo",
        (Role.ICI_STAFF,),
        OrganisationKind.ICI_OPERATOR,
        "Тимур",
        "Ахметов",
        "ru",
    ),
    DemoAccount("citizen", "Citizen-1414-demo", (Role.RECIPIENT,), None, "Мария", "Иванова", "ru"),
)


def _organisation_of(kind: str | None) -> Organisation | None:
    if kind is None:
        return None
    organisation = Organisation.objects.filter(kind=kind, is_active=True).order_by("pk").first()
    if organisation is None:
        raise RuntimeError(f"the demo registry has no organisation of kind {kind}")
    return organisation


def load_demo_accounts() -> list[DemoAccount]:
    """Create or refresh the demo accounts (passwords reset to the printed ones)."""
    with transaction.atomic():
        for account in DEMO_ACCOUNTS:
            organisation = _organisation_of(account.organisation_kind)
            organisation_id = organisation.pk if organisation else None
            user = User.objects.filter(username=account.username).first()
            if user is None:
                user_create(
                    username=account.username,
                    password=account.password,
                    organisation_id=organisation_id,
                    roles=account.roles,
                    first_name=account.first_name,
                    last_name=account.last_name,
                    language=account.language,
                    is_staff=account.staff,
                    is_superuser=account.staff,
                )
                continue
            user.set_password(account.password)
            user.organisation_id = organisation_id
            user.is_active = True
            user.save(update_fields=["password", "organisation", "is_active"])
            user_set_roles(user=user, roles=account.roles, actor=None)
    return list(DEMO_ACCOUNTS)
