"""Rollups of the answer-time figures (R16, R19): one row per quarter-hour, queue and language.

A month of a million calls is about 2,880 quarter-hours × queues × languages, a few tens of
thousands of rows, so a month's ASA and service level are read in milliseconds on SQLite too.
Rows are written only by ``rollup.call_intervals_refresh`` once every call of the quarter-hour
has an outcome (``SEAL_AFTER`` after its end); newer calls are read from the call records.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CallInterval(models.Model):
    start = models.DateTimeField(_("quarter-hour"))
    queue = models.CharField(_("queue"), max_length=40, blank=True)
    language = models.CharField(_("language"), max_length=2, blank=True)
    calls = models.PositiveIntegerField(_("calls"), default=0)
    answered = models.PositiveIntegerField(_("answered"), default=0)
    # Counted against the p.7 target in force on the quarter-hour's day (``target_seconds``).
    within_target = models.PositiveIntegerField(_("answered within the target"), default=0)
    abandoned = models.PositiveIntegerField(_("abandoned"), default=0)
    wait_sum = models.FloatField(_("total wait of answered calls, seconds"), default=0.0)
    target_seconds = models.PositiveIntegerField(_("target, seconds"))

    class Meta:
        verbose_name = _("quarter-hour of calls")
        verbose_name_plural = _("quarter-hours of calls")
        constraints = [
            models.UniqueConstraint(
                fields=["start", "queue", "language"], name="reports_interval_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.start:%Y-%m-%d %H:%M} {self.queue}/{self.language}"


class RatingDay(models.Model):
    """Rated calls of one local day by operator, public service or line, and score (R13): a
    month of a million calls is a few tens of thousands of rows. Written only by
    ``rollup.rating_days_seal`` once the day has ended ``SEAL_AFTER`` ago; newer ratings are
    read from the call records. Each rated call is counted once in every dimension."""

    day = models.DateField(_("day"))
    # "operator" or "service" (``key`` is the id, "" for none) or "line" (``key`` is the line).
    dimension = models.CharField(_("grouped by"), max_length=10)
    key = models.CharField(_("key"), max_length=64, blank=True)
    score = models.PositiveSmallIntegerField(_("score"))
    rated = models.PositiveIntegerField(_("rated calls"))

    class Meta:
        verbose_name = _("day of call ratings")
        verbose_name_plural = _("days of call ratings")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "dimension", "key", "score"], name="reports_rating_day_once"
            )
        ]
        indexes = [models.Index(fields=["dimension", "day"], name="reports_rating_day_idx")]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d} {self.dimension}={self.key}: {self.score}×{self.rated}"


class RollupMark(models.Model):
    """How far the rollup is sealed: every quarter-hour before ``until`` is in ``CallInterval``."""

    name = models.CharField(_("name"), max_length=40, unique=True)
    until = models.DateTimeField(_("sealed until"))
    refreshed_at = models.DateTimeField(_("refreshed"))

    class Meta:
        verbose_name = _("rollup mark")
        verbose_name_plural = _("rollup marks")

    def __str__(self) -> str:
        return f"{self.name}: {self.until:%Y-%m-%d %H:%M}"
