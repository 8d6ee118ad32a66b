"""Choices of appeals (R8, R11, R12, R14, R15)."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Channel(models.TextChoices):
    """How the contact reached us; the concrete phone line or mailbox is a ``Line`` row (R8)."""

    PHONE = "phone", _("Phone")
    EMAIL = "email", _("E-mail")
    WEB = "web", _("Web form")
    API = "api", _("API")
    MESSENGER = "messenger", _("Messenger")


class Category(models.TextChoices):
    CONSULTATION = "consultation", _("Consultation")
    COMPLAINT = "complaint", _("Complaint")
    STATUS_INQUIRY = "status_inquiry", _("Status inquiry")
    REFERRAL = "referral", _("Out-of-scope question")


class ComplaintType(models.TextChoices):
    """The two kinds of complaint (R14, Rules 2013 p.12-16)."""

    PROCEDURE = "procedure", _("On the procedure of a public service")
    OFFICIALS = "officials", _("On actions or inaction of officials")


class Status(models.TextChoices):
    REGISTERED = "registered", pgettext_lazy("appeal status", "Registered")
    IN_PROGRESS = "in_progress", pgettext_lazy("appeal status", "In progress")
    TRANSFERRED = "transferred", pgettext_lazy("appeal status", "Transferred")
    ANSWERED = "answered", pgettext_lazy("appeal status", "Answered")
    REFERRED = "referred", pgettext_lazy("appeal status", "Referred to a competent body")
    FORWARDED = "forwarded", pgettext_lazy("appeal status", "Forwarded to a competent body")
    CLOSED = "closed", pgettext_lazy("appeal status", "Closed")
    MERGED = "merged", pgettext_lazy("appeal status", "Merged into another appeal")


class Language(models.TextChoices):
    KK = "kk", "Қазақша"
    RU = "ru", "Русский"
    EN = "en", "English"


class LineKind(models.TextChoices):
    PHONE = "phone", _("Phone line")
    EMAIL = "email", _("Mailbox")
    MESSENGER = "messenger", _("Messenger account")


class HandoffKind(models.TextChoices):
    REFERRAL = "referral", _("Referral to a competent body")
    FORWARD = "forward", _("Complaint forwarded to a competent body")
    TRANSFER = "transfer", _("Transfer to another operator or group")


class LinkKind(models.TextChoices):
    RELATED = "related", _("Related")
    DUPLICATE = "duplicate", _("Duplicate")
