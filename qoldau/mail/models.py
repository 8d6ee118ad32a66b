"""Mailboxes and the inbound messages read from them (R9).

An ``InboundMessage`` is the raw message stored durably first, keyed by (mailbox, UIDVALIDITY,
UID), then processed (parsed and handed to the appeals app), then marked on the server. The raw
bytes are personal data: they are never logged and the admin shows metadata only.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from qoldau.core.models import TimeStampedModel
from qoldau.mail.enums import (
    NO_AUTO_REPLY,
    Classification,
    InboundStatus,
    Language,
    MailboxKind,
    Security,
)

ENV_NAME = RegexValidator(
    r"^[A-Z_][A-Z0-9_]*$",
    _("Give the name of an environment variable in capitals, such as MAIL_1414_PASSWORD."),
)


class Mailbox(TimeStampedModel):
    """A mailbox the contact center reads (R8: the set of mailboxes is configuration).

    The password is never stored: ``password_env`` names the environment variable holding it."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    address = models.EmailField(_("address"), blank=True)
    kind = models.CharField(
        _("kind"), max_length=16, choices=MailboxKind.choices, default=MailboxKind.IMAP
    )
    host = models.CharField(_("IMAP host"), max_length=255, blank=True)
    port = models.PositiveIntegerField(
        _("IMAP port"), default=993, validators=[MinValueValidator(1), MaxValueValidator(65535)]
    )
    security = models.CharField(
        _("connection security"), max_length=16, choices=Security.choices, default=Security.SSL
    )
    username = models.CharField(_("user name"), max_length=255, blank=True)
    password_env = models.CharField(
        _("password variable"),
        max_length=100,
        blank=True,
        validators=[ENV_NAME],
        help_text=_("The environment variable that holds the password (never the password)."),
    )
    folder = models.CharField(_("folder"), max_length=255, default="INBOX")
    processed_folder = models.CharField(
        _("folder for processed mail"),
        max_length=255,
        blank=True,
        help_text=_("Empty: processed mail stays where it is and is only marked as read."),
    )
    maildir_path = models.CharField(
        _("Maildir path"),
        max_length=500,
        blank=True,
        help_text=_("For a Maildir mailbox: the folder that holds cur/ and new/."),
    )
    default_language = models.CharField(
        _("default language"), max_length=2, choices=Language.choices, default=Language.KK
    )
    is_active = models.BooleanField(_("active"), default=True)
    # Where the last complete fetch stopped; UIDs at or below it are not listed again.
    sync_uidvalidity = models.BigIntegerField(_("UIDVALIDITY seen"), null=True, blank=True)
    sync_last_uid = models.BigIntegerField(_("last UID seen"), default=0)
    last_poll_at = models.DateTimeField(_("last poll"), null=True, blank=True)
    last_poll_error = models.TextField(_("last poll error"), blank=True)

    class Meta:
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class InboundMessage(models.Model):
    """One message as read from a mailbox, kept for good (R9: nothing is lost)."""

    mailbox = models.ForeignKey(
        Mailbox, verbose_name=_("mailbox"), on_delete=models.PROTECT, related_name="messages"
    )
    uidvalidity = models.BigIntegerField(_("UIDVALIDITY"))
    uid = models.BigIntegerField(_("UID"))
    message_id = models.CharField(_("Message-ID"), max_length=998, blank=True)
    sha256 = models.CharField(
        _("SHA-256"), max_length=64, help_text=_("Of the raw bytes, line endings normalised.")
    )
    size = models.PositiveBigIntegerField(_("size in bytes"))
    raw = models.BinaryField(_("raw message"), null=True, editable=False)
    raw_file = models.FileField(_("raw message file"), max_length=255, blank=True)
    received_at = models.DateTimeField(_("received"))

    from_address = models.CharField(_("from"), max_length=320, blank=True)
    from_name = models.CharField(_("sender's name"), max_length=300, blank=True)
    to_addresses = models.JSONField(_("to"), default=list, blank=True)
    cc_addresses = models.JSONField(_("copy"), default=list, blank=True)
    reply_to = models.CharField(_("reply to"), max_length=320, blank=True)
    subject = models.TextField(_("subject"), blank=True)
    sent_at = models.DateTimeField(_("date in the message"), null=True, blank=True)
    in_reply_to = models.CharField(_("In-Reply-To"), max_length=998, blank=True)
    references = models.JSONField(_("References"), default=list, blank=True)
    language = models.CharField(_("language"), max_length=2, blank=True, choices=Language.choices)
    classification = models.CharField(
        _("classification"), max_length=16, blank=True, choices=Classification.choices
    )
    bounced_message_id = models.CharField(_("bounced Message-ID"), max_length=998, blank=True)
    is_malformed = models.BooleanField(_("malformed"), default=False)
    is_oversized = models.BooleanField(_("oversized"), default=False)
    is_truncated = models.BooleanField(_("text truncated"), default=False)
    defects = models.JSONField(_("defects"), default=list, blank=True)
    text = models.TextField(_("text"), blank=True)
    text_source = models.CharField(_("text taken from"), max_length=8, blank=True)
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("duplicate of"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="duplicates",
    )

    status = models.CharField(
        _("status"), max_length=16, choices=InboundStatus.choices, default=InboundStatus.STORED
    )
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("marked on the server"), null=True, blank=True)
    process_attempts = models.PositiveIntegerField(_("processing attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    server_note = models.CharField(_("server note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("inbound message")
        verbose_name_plural = _("inbound messages")
        ordering = ["received_at", "pk"]
        constraints = [
            # Stored once per server copy: a second fetch of the same UID inserts nothing.
            models.UniqueConstraint(
                fields=["mailbox", "uidvalidity", "uid"], name="mail_inbound_server_key"
            ),
            # One original per content: a copy (new UIDVALIDITY, an import) is a duplicate.
            models.UniqueConstraint(
                fields=["sha256"],
                condition=Q(duplicate_of__isnull=True),
                name="mail_inbound_content_once",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="mail_inbound_todo_idx"),
            models.Index(fields=["sha256"], name="mail_inbound_sha_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.mailbox_id}:{self.uidvalidity}:{self.uid}"

    @property
    def is_automated(self) -> bool:
        """RFC 3834: never answer this message automatically."""
        return self.classification in NO_AUTO_REPLY


class InboundAttachment(models.Model):
    """A file of an inbound message, kept under MEDIA_ROOT by its content hash."""

    message = models.ForeignKey(
        InboundMessage,
        verbose_name=_("message"),
        on_delete=models.PROTECT,
        related_name="attachments",
    )
    position = models.PositiveIntegerField(_("position"))
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=255)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    file = models.FileField(_("file"), max_length=255)
    content_id = models.CharField(_("Content-ID"), max_length=255, blank=True)
    is_inline = models.BooleanField(_("inline"), default=False)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["message", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["message", "position"], name="mail_attachment_position_once"
            )
        ]

    def __str__(self) -> str:
        return self.filename
