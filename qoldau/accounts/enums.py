"""Roles of the people who use the system (R2)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    RECIPIENT = "recipient", _("Service recipient")
    OPERATOR = "operator", _("Operator")
    SUPERVISOR = "supervisor", _("Supervisor and quality controller")
    UCC_ADMIN = "ucc_admin", _("Contact center administrator")
    KB_EDITOR = "kb_editor", _("Knowledge base editor")
    RESPONSIBLE_PERSON = "responsible_person", _("Responsible person of a state body or provider")
    INFORMATIZATION_OFFICER = (
        "informatization_officer",
        _("Officer of the authorized body in informatization"),
    )
    QUALITY_OFFICER = "quality_officer", _("Officer of the authorized body for service quality")
    ICI_STAFF = "ici_staff", _("Staff of the e-government infrastructure operator")


# Roles held by the contact center's own staff: they work with every organisation's data.
UCC_ROLES = frozenset({Role.OPERATOR, Role.SUPERVISOR, Role.UCC_ADMIN, Role.KB_EDITOR})
# Roles of the two authorized bodies (R1): they oversee the contact center across organisations.
AUTHORIZED_BODY_ROLES = frozenset({Role.INFORMATIZATION_OFFICER, Role.QUALITY_OFFICER})
