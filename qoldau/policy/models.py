"""The Rules as data (R33): every number of the Rules, with its paragraph and validity dates.

A change of the Rules is a new row with a later ``valid_from``; the row it replaces gets a
``valid_to``. Rows are never deleted: stored deadlines keep the id of the row that made them.
Written only through ``services.py``; read through ``selectors.py``.
"""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from qoldau.core.i18n import localized
from qoldau.core.models import TimeStampedModel
from qoldau.policy.enums import RulesEdition, TextVariant, Unit


class PolicyRule(TimeStampedModel):
    code = models.CharField(
        _("code"),
        max_length=60,
        validators=[RegexValidator(r"^[a-z][a-z0-9_]*$")],
        help_text=_("Stable name the software asks for, e.g. email_reply. Never rename it."),
    )
    value = models.DecimalField(_("value"), max_digits=12, decimal_places=3)
    unit = models.CharField(_("unit"), max_length=16, choices=Unit.choices)
    rules = models.CharField(
        _("Rules"), max_length=4, choices=RulesEdition.choices, default=RulesEdition.RULES_2016
    )
    paragraph_2016 = models.CharField(
        _("paragraph of the 2016 Rules"), max_length=20, blank=True, help_text=_('e.g. "p.8"')
    )
    paragraph_2013 = models.CharField(
        _("paragraph of the 2013 Rules"),
        max_length=20,
        blank=True,
        help_text=_('e.g. "2013 p.7", where the 2013 Rules had this number'),
    )
    text_variant = models.CharField(
        _("text variant"),
        max_length=2,
        choices=TextVariant.choices,
        blank=True,
        default=TextVariant.ALL,
        help_text=_(
            "Empty when all language texts agree. Where they differ (p.20) there is one row per "
            "text; the QOLDAU_P20_TEXT setting picks the text that applies."
        ),
    )
    valid_from = models.DateField(
        _("valid from"),
        help_text=_(
            "To change a number of the Rules, add a new row with a later 'valid from' instead of "
            "editing this one: the open row before it is closed the day before, and records made "
            "earlier keep the rule that applied to them."
        ),
    )
    valid_to = models.DateField(
        _("valid to"),
        null=True,
        blank=True,
        help_text=_("Last day in force; empty: still in force."),
    )
    title_kk = models.CharField(_("title (Kazakh)"), max_length=300)
    title_ru = models.CharField(_("title (Russian)"), max_length=300, blank=True)
    title_en = models.CharField(_("title (English)"), max_length=300, blank=True)
    note_kk = models.TextField(_("note (Kazakh)"))
    note_ru = models.TextField(_("note (Russian)"), blank=True)
    note_en = models.TextField(_("note (English)"), blank=True)

    class Meta:
        verbose_name = _("rule")
        verbose_name_plural = _("rules")
        ordering = ["code", "text_variant", "valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["code", "text_variant", "valid_from"], name="policy_rule_version_unique"
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="policy_rule_valid_to_after_from",
            ),
            models.CheckConstraint(
                condition=Q(text_variant__in=["", "kk", "ru"]), name="policy_rule_text_variant"
            ),
            models.CheckConstraint(
                condition=~Q(title_kk="") & ~Q(note_kk=""), name="policy_rule_kazakh_required"
            ),
        ]
        indexes = [models.Index(fields=["code", "valid_from"], name="policy_rule_lookup_idx")]

    def __str__(self) -> str:
        variant = f" [{self.text_variant}]" if self.text_variant else ""
        return f"{self.code}{variant} {self.valid_from.isoformat()}"

    @property
    def title(self) -> str:
        return localized(self, "title")

    @property
    def note(self) -> str:
        return localized(self, "note")
