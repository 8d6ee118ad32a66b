from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditChain(models.Model):
    """The head of one hash chain. Appending locks this row, so a chain never forks."""

    name = models.CharField(max_length=40, primary_key=True)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="")

    class Meta:
        verbose_name = _("audit chain")
        verbose_name_plural = _("audit chains")

    def __str__(self) -> str:
        return f"{self.name} #{self.last_seq}"


class AuditEvent(models.Model):
    """Append-only: a database trigger refuses UPDATE (and DELETE on PostgreSQL); the hash chain
    makes any change or removal detectable by ``qoldau audit verify``."""

    chain = models.CharField(_("chain"), max_length=40, default="main")
    seq = models.BigIntegerField(_("sequence"))
    at = models.DateTimeField(_("time"))
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=True,
    )
    actor_label = models.CharField(_("actor"), max_length=160, blank=True)
    action = models.CharField(_("action"), max_length=80, db_index=True)
    target_type = models.CharField(_("object type"), max_length=80, blank=True)
    target_id = models.CharField(_("object"), max_length=64, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    request_id = models.CharField(_("request"), max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        constraints = [
            models.UniqueConstraint(fields=["chain", "seq"], name="audit_event_seq_unique"),
        ]
        indexes = [models.Index(fields=["target_type", "target_id"], name="audit_target_idx")]

    def __str__(self) -> str:
        return f"{self.chain}#{self.seq} {self.action}"
