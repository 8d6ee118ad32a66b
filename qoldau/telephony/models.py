"""Call records (R16): one row per call, rebuilt from its events.

``StoredCallEvent`` keeps every event exactly once (unique by call id and sequence); the
``CallRecord`` is a fold of those events in sequence order, so a duplicate or a late event never
corrupts it. Models hold data only: writes go through ``services.py``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from qoldau.telephony.enums import CallState


class CallRecord(models.Model):
    call_id = models.CharField(_("call id"), max_length=128, unique=True)
    source = models.CharField(_("source"), max_length=12, default="webhook")
    line = models.CharField(_("line"), max_length=40, blank=True)
    # Personal data: masked in lists, opened through an audited path.
    caller = models.CharField(_("caller's number"), max_length=16, blank=True)
    caller_raw = models.CharField(_("number as received"), max_length=64, blank=True)
    language = models.CharField(_("language"), max_length=2, blank=True)
    service = models.ForeignKey(
        "registry.PublicService",
        verbose_name=_("public service"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    queue = models.CharField(_("queue"), max_length=40, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=CallState.choices, default=CallState.ARRIVED
    )
    arrived_at = models.DateTimeField(_("arrived"))
    queued_at = models.DateTimeField(_("queued"), null=True, blank=True)
    offered_at = models.DateTimeField(_("offered"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    # From arrival to answer (answered calls) or to hang-up (abandoned calls): the p.7 measure.
    wait_seconds = models.FloatField(_("wait, seconds"), null=True, blank=True)
    talk_seconds = models.FloatField(_("talk, seconds"), null=True, blank=True)
    abandoned = models.BooleanField(_("abandoned"), default=False)
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("operator"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    transfers = models.PositiveSmallIntegerField(_("transfers"), default=0)
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    rated_at = models.DateTimeField(_("rated"), null=True, blank=True)
    recording_uri = models.CharField(_("recording"), max_length=500, blank=True)
    recording_seconds = models.PositiveIntegerField(_("recording, seconds"), null=True, blank=True)
    ended_reason = models.CharField(_("end reason"), max_length=40, blank=True)
    last_seq = models.BigIntegerField(_("last event"), default=0)
    # Codes of what looked wrong in the events (a rating out of range, an unknown operator).
    anomalies = models.JSONField(_("anomalies"), default=list, blank=True)
    updated_at = models.DateTimeField(_("updated"))

    class Meta:
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        ordering = ["-arrived_at", "-pk"]
        indexes = [
            models.Index(fields=["arrived_at"], name="tel_call_arrived_idx"),
            models.Index(fields=["caller", "arrived_at"], name="tel_call_caller_idx"),
            models.Index(fields=["state"], name="tel_call_state_idx"),
            models.Index(fields=["operator", "arrived_at"], name="tel_call_operator_idx"),
        ]

    def __str__(self) -> str:
        return self.call_id


class StoredCallEvent(models.Model):
    """One CTI event as received, kept once (the idempotency key is call id + sequence)."""

    call_id = models.CharField(_("call id"), max_length=128)
    seq = models.BigIntegerField(_("sequence"))
    kind = models.CharField(_("kind"), max_length=12)
    at = models.DateTimeField(_("time"))
    source = models.CharField(_("source"), max_length=12)
    payload = models.JSONField(_("payload"), default=dict)
    received_at = models.DateTimeField(_("received"))

    class Meta:
        verbose_name = _("call event")
        verbose_name_plural = _("call events")
        constraints = [models.UniqueConstraint(fields=["call_id", "seq"], name="tel_event_once")]

    def __str__(self) -> str:
        return f"{self.call_id}#{self.seq}:{self.kind}"


class CallTransfer(models.Model):
    """A transfer of a call to another operator or queue by competence (R12, p.11)."""

    call = models.ForeignKey(
        CallRecord, verbose_name=_("call"), on_delete=models.CASCADE, related_name="transfer_rows"
    )
    seq = models.BigIntegerField(_("sequence"))
    at = models.DateTimeField(_("time"))
    from_operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("from"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    to_operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("to operator"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    to_queue = models.CharField(_("to queue"), max_length=40, blank=True)
    notice = models.CharField(_("what the caller was told"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("call transfer")
        verbose_name_plural = _("call transfers")
        ordering = ["call", "seq"]
        constraints = [models.UniqueConstraint(fields=["call", "seq"], name="tel_transfer_once")]

    def __str__(self) -> str:
        return f"{self.call_id}#{self.seq}"


class WebhookReceipt(models.Model):
    """The signature of each accepted CTI webhook request, so a replay is refused."""

    signature = models.CharField(_("signature"), max_length=64, unique=True)
    received_at = models.DateTimeField(_("received"), db_index=True)

    class Meta:
        verbose_name = _("webhook receipt")
        verbose_name_plural = _("webhook receipts")

    def __str__(self) -> str:
        return self.signature[:12]
