"""The working-day calendar of Kazakhstan (R32): one row per date, plus admin overrides.

Models hold data only: rows are written by ``services.py`` and read through ``selectors.py``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from qoldau.core.i18n import localized
from qoldau.core.models import TimeStampedModel
from qoldau.workdays.enums import DayKind, DaySource


class CalendarDay(models.Model):
    """One date of the loaded years, with a cumulative working-day index.

    ``work_index`` counts the working days from the first loaded date up to and including this
    one, so any count or shift of working days is one or two indexed lookups
    (docs/adr/0003-working-day-index.md). Every working day has a distinct index; a day off
    carries the index of the last working day before it.
    """

    date = models.DateField(_("date"), primary_key=True)
    is_working = models.BooleanField(_("working day"))
    kind = models.CharField(_("kind"), max_length=24, choices=DayKind.choices)
    name_kk = models.CharField(_("name (Kazakh)"), max_length=300, blank=True)
    name_ru = models.CharField(_("name (Russian)"), max_length=300, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=300, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=DaySource.choices)
    work_index = models.PositiveIntegerField(
        _("working-day index"),
        help_text=_("Working days from the first loaded date up to and including this date."),
    )

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]
        indexes = [
            models.Index(
                fields=["work_index"],
                condition=Q(is_working=True),
                name="workdays_working_index_idx",
            )
        ]

    def __str__(self) -> str:
        return self.date.isoformat()

    @property
    def name(self) -> str:
        return localized(self, "name")


class CalendarOverride(TimeStampedModel):
    """A date whose status a decree sets, winning over the ``holidays`` package. Written only
    through ``workdays_override_add/change/delete``, which re-derive the date and the index."""

    date = models.DateField(_("date"), unique=True)
    is_working = models.BooleanField(
        _("working day"), help_text=_("Tick if the date is a working day, untick for a day off.")
    )
    reason_kk = models.CharField(_("reason (Kazakh)"), max_length=500)
    reason_ru = models.CharField(_("reason (Russian)"), max_length=500, blank=True)
    reason_en = models.CharField(_("reason (English)"), max_length=500, blank=True)
    decree_title = models.CharField(
        _("decree"),
        max_length=500,
        blank=True,
        help_text=_("The act that sets this date's status (a Government decree, a law)."),
    )
    decree_number = models.CharField(_("decree number"), max_length=60, blank=True)
    decree_date = models.DateField(_("decree date"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("calendar override")
        verbose_name_plural = _("calendar overrides")
        ordering = ["-date"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(reason_kk=""), name="workdays_override_reason_kk_required"
            )
        ]

    def __str__(self) -> str:
        return self.date.isoformat()

    @property
    def reason(self) -> str:
        return localized(self, "reason")
