from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DayKind(models.TextChoices):
    """Why a date is (not) a working day (R32)."""

    WORKING = "working", _("ordinary working day")
    WEEKEND = "weekend", _("weekend")
    HOLIDAY = "holiday", _("public holiday")
    TRANSFERRED_DAY_OFF = "transferred_day_off", _("day off moved by decree")
    WORKING_WEEKEND = "working_weekend", _("weekend made a working day")


class DaySource(models.TextChoices):
    """Where the day's status comes from: the ``holidays`` package or an override (a decree)."""

    PACKAGE = "package", _("holidays package")
    OVERRIDE = "override", _("override")
