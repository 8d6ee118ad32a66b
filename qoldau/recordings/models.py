"""Recordings of calls and the authorized bodies' requests for them (R17, Rules p.14).

Models hold data only: writes go through ``services.py`` (recordings) and ``requests.py``
(recording requests); status and deadline fields change only through ``transitions.py``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from qoldau.recordings.enums import RequestStatus


class Recording(models.Model):
    """One call's recording, copied from the PBX into the store (one per call)."""

    call = models.OneToOneField(
        "telephony.CallRecord",
        verbose_name=_("call"),
        on_delete=models.PROTECT,
        related_name="stored_recording",
    )
    storage_key = models.CharField(_("storage key"), max_length=512, unique=True)
    size = models.PositiveBigIntegerField(_("size, bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    content_type = models.CharField(_("content type"), max_length=100)
    seconds = models.PositiveIntegerField(_("length, seconds"), null=True, blank=True)
    source_uri = models.CharField(_("PBX location"), max_length=500)
    created_at = models.DateTimeField(_("stored"))
    # The retention period (a policy setting, ADR 0006), computed once when the file is stored.
    retain_until = models.DateTimeField(_("kept until"))
    retention_rule = models.ForeignKey(
        "policy.PolicyRule",
        verbose_name=_("retention rule"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Set when the retention purge removed the file; the row stays for the audit trail.
    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True)

    class Meta:
        verbose_name = _("recording")
        verbose_name_plural = _("recordings")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["retain_until"],
                name="rec_retain_idx",
                condition=Q(deleted_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return self.storage_key


class RecordingRequest(models.Model):
    """An authorized body's written request for the recordings of a number on a date (p.14)."""

    organisation = models.ForeignKey(
        "registry.Organisation",
        verbose_name=_("requesting body"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("filed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    call_date = models.DateField(_("date of the call"))
    # Personal data: shown in full only to the people who handle the request.
    phone = models.CharField(_("phone number"), max_length=16)
    phone_raw = models.CharField(_("number as written"), max_length=64)
    reference = models.CharField(_("letter's outgoing number"), max_length=100, blank=True)
    document_key = models.CharField(_("document storage key"), max_length=512)
    document_name = models.CharField(_("document file name"), max_length=200)
    document_type = models.CharField(_("document type"), max_length=40)
    document_size = models.PositiveIntegerField(_("document size, bytes"))
    document_sha256 = models.CharField(_("document SHA-256"), max_length=64)
    status = models.CharField(
        _("status"), max_length=12, choices=RequestStatus.choices, default=RequestStatus.FILED
    )
    filed_at = models.DateTimeField(_("filed"))
    # The four-hour clock (p.14): computed once at filing with the rule that produced it.
    due_at = models.DateTimeField(_("due"))
    due_rule = models.ForeignKey(
        "policy.PolicyRule",
        verbose_name=_("deadline rule"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    due_citation = models.CharField(_("deadline citation"), max_length=200, blank=True)
    late_at = models.DateTimeField(_("flagged late"), null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handled by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    delivery_expires_at = models.DateTimeField(_("download until"), null=True, blank=True)
    expired_at = models.DateTimeField(_("download expired"), null=True, blank=True)

    class Meta:
        verbose_name = _("recording request")
        verbose_name_plural = _("recording requests")
        ordering = ["-filed_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "due_at"], name="rec_request_status_due_idx"),
            models.Index(fields=["organisation", "filed_at"], name="rec_request_org_idx"),
        ]
        constraints = [
            # The same written request, filed again while the first is open, is the first.
            models.UniqueConstraint(
                fields=["organisation", "document_sha256", "phone", "call_date"],
                condition=models.Q(status__in=["filed", "late"]),
                name="rec_request_open_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.pk}: {self.call_date.isoformat()}"


class RequestMatch(models.Model):
    """A call of the requested number on the requested local date, found by the system."""

    request = models.ForeignKey(
        RecordingRequest,
        verbose_name=_("recording request"),
        on_delete=models.CASCADE,
        related_name="matches",
    )
    call = models.ForeignKey(
        "telephony.CallRecord", verbose_name=_("call"), on_delete=models.PROTECT, related_name="+"
    )
    found_at = models.DateTimeField(_("found"))

    class Meta:
        verbose_name = _("call found")
        verbose_name_plural = _("calls found")
        ordering = ["call__arrived_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["request", "call"], name="rec_match_once"),
        ]

    def __str__(self) -> str:
        return f"{self.request_id}:{self.call_id}"


class DeliveredFile(models.Model):
    """A recording handed to the requesting body, with the checksum it was delivered with."""

    request = models.ForeignKey(
        RecordingRequest,
        verbose_name=_("recording request"),
        on_delete=models.CASCADE,
        related_name="files",
    )
    recording = models.ForeignKey(
        Recording, verbose_name=_("recording"), on_delete=models.PROTECT, related_name="+"
    )
    file_name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveBigIntegerField(_("size, bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)

    class Meta:
        verbose_name = _("delivered file")
        verbose_name_plural = _("delivered files")
        ordering = ["file_name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["request", "recording"], name="rec_file_once"),
        ]

    def __str__(self) -> str:
        return self.file_name
