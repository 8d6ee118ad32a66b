"""Choices of the mail app: mailbox kinds and security, the life of an inbound message and its
classification under RFC 3834 (who must never get an automatic answer)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class MailboxKind(models.TextChoices):
    """Where a mailbox is read from; each kind maps to an adapter by a dotted-path setting."""

    IMAP = "imap", _("IMAP server")
    MAILDIR = "maildir", _("Maildir folder on this computer")
    MEMORY = "memory", _("In memory (tests and demonstrations)")
    IMPORT = "import", _("Imported files")


class Security(models.TextChoices):
    SSL = "ssl", _("SSL/TLS from the start")
    STARTTLS = "starttls", _("STARTTLS")
    NONE = "none", _("None (loopback and tests only)")


class Language(models.TextChoices):
    KK = "kk", _("Kazakh")
    RU = "ru", _("Russian")


class InboundStatus(models.TextChoices):
    """stored -> processed -> acknowledged; see transitions.py."""

    STORED = "stored", _("Stored")
    PROCESSED = "processed", _("Processed")
    ACKNOWLEDGED = "acknowledged", _("Marked on the server")


class Classification(models.TextChoices):
    """RFC 3834: only ``normal`` mail may get an automatic answer."""

    NORMAL = "normal", _("Written by a person")
    AUTO_REPLY = "auto_reply", _("Automatic reply")
    BOUNCE = "bounce", _("Delivery report or bounce")
    LIST = "list", _("Mailing list or bulk mail")
    OWN = "own", _("Our own mail")


NO_AUTO_REPLY = frozenset(
    {Classification.AUTO_REPLY, Classification.BOUNCE, Classification.LIST, Classification.OWN}
)
