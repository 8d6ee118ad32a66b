"""Participant types (R1, Rules p.18)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganisationKind(models.TextChoices):
    UCC = "ucc", _("Unified contact center")
    INFORMATIZATION_BODY = "informatization_body", _("Authorized body in informatization")
    QUALITY_BODY = "quality_body", _("Authorized body for public service quality")
    CENTRAL_STATE_BODY = "central_state_body", _("Central state body")
    LOCAL_EXECUTIVE_BODY = "local_executive_body", _("Local executive body")
    SERVICE_PROVIDER = "service_provider", _("Other service provider")
    ICI_OPERATOR = "ici_operator", _("E-government infrastructure operator")


class RegionKind(models.TextChoices):
    REGION = "region", _("Region")
    CITY = "city", _("City of republican significance")
