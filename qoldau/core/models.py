from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class OutboxMessage(TimeStampedModel):
    """A message that leaves the system (design rule 4): written in the use case's transaction and
    delivered after commit by ``qoldau.core.outbox.outbox_deliver_due`` with attempts and backoff.

    ``message_id`` is made once, at enqueue, so a retried delivery is recognisable as the same
    message; ``idempotency_key`` makes a second enqueue of the same message return the first row.
    """

    channel = models.CharField(_("channel"), max_length=32)
    category = models.CharField(_("category"), max_length=64, blank=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=255, unique=True)
    sender = models.CharField(_("sender"), max_length=320, blank=True)
    recipient = models.CharField(_("recipient"), max_length=320)
    subject = models.TextField(_("subject"), blank=True)
    body = models.TextField(_("body"), blank=True)
    headers = models.JSONField(_("headers"), default=dict, blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True)
    message_id = models.CharField(_("Message-ID"), max_length=255, unique=True)
    related_type = models.CharField(_("related object type"), max_length=100, blank=True)
    related_id = models.CharField(_("related object id"), max_length=64, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=OutboxStatus.choices, default=OutboxStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    max_attempts = models.PositiveIntegerField(_("maximum attempts"), default=10)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    attempt_log = models.JSONField(_("attempts made"), default=list, blank=True)

    class Meta:
        verbose_name = _("outgoing message")
        verbose_name_plural = _("outgoing messages")
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="core_outbox_due_idx"),
            models.Index(fields=["related_type", "related_id"], name="core_outbox_related_idx"),
            models.Index(
                fields=["category", "recipient", "created_at"], name="core_outbox_recent_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.message_id} ({self.status})"
