"""Choices of the registry: participant types (R1, Rules p.18), regions (R3), contacts, by-laws
and the acceptance of a public service for consultation (R7, Rules p.19-23)."""

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


class ContactKind(models.TextChoices):
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("E-mail")
    ADDRESS = "address", _("Address")
    WEBSITE = "website", _("Website")


class ByLawKind(models.TextChoices):
    """The kind of the by-law regulatory legal act that sets a service's procedure (Annex 1)."""

    MINISTERIAL_ORDER = "ministerial_order", _("Order of a minister")
    GOVERNMENT_DECREE = "government_decree", _("Decree of the Government")
    AKIMAT_RESOLUTION = "akimat_resolution", _("Resolution of an akimat")
    JOINT_ORDER = "joint_order", _("Joint order")
    OTHER = "other", _("Other legal act")


class AcceptanceStatus(models.TextChoices):
    """Where a service stands in its hand-over to the contact center (R7, R22, Rules p.19-23)."""

    NOT_SUBMITTED = "not_submitted", _("Information not submitted")
    SUBMITTED = "submitted", _("Information submitted")
    TRAINING = "training", _("Training of the contact center")
    ACCEPTED = "accepted", _("Accepted for consultation")
    CONSULTING = "consulting", _("Consulted on")
    WITHDRAWN = "withdrawn", _("Withdrawn from consultation")
