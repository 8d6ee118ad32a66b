from __future__ import annotations

from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _


class Unit(models.TextChoices):
    SECONDS = "seconds", _("seconds")
    HOURS = "hours", _("hours")
    CALENDAR_DAYS = "calendar_days", _("calendar days")
    WORKING_DAYS = "working_days", _("working days")
    DAY_OF_MONTH = "day_of_month", _("day of the next month")
    MONTHS = "months", _("months")
    SCALE = "scale", _("points of a scale")


# Units whose value must be a whole number.
WHOLE_UNITS = frozenset({Unit.WORKING_DAYS, Unit.DAY_OF_MONTH, Unit.MONTHS, Unit.SCALE})


class TextVariant(models.TextChoices):
    """Which language text of the Rules a row follows, where the texts disagree (p.20)."""

    ALL = "", _("all texts")
    KK = "kk", _("Kazakh text")
    RU = "ru", _("Russian text")


class RulesEdition(models.TextChoices):
    RULES_2016 = "2016", _("Rules of 2016 (Order No. 83), as amended")
    RULES_2013 = "2013", _("Rules of 2013 (Order No. 487), repealed")
    # A number the Rules leave open (how long recordings are kept): the contact center sets it
    # itself; the row cites the closest paragraph (docs/adr/0006-recording-retention.md).
    UCC = "ucc", _("The contact center's own setting")


class RuleCode(StrEnum):
    """The stable codes other apps ask ``policy`` for (R33). New codes may be added as data."""

    ANSWER_TIME_AVG = "answer_time_avg"  # p.7
    EMAIL_REPLY = "email_reply"  # p.8
    RATING_SCALE = "rating_scale"  # p.13
    RECORDING_DELIVERY = "recording_delivery"  # p.14
    HANDOVER_INFO = "handover_info"  # p.20
    HANDOVER_TRAINING = "handover_training"  # p.21
    CONSULTATION_START = "consultation_start"  # p.23
    BYLAW_CHANGE_UPDATE = "bylaw_change_update"  # p.26
    RESPONSIBLE_REPLACEMENT = "responsible_replacement"  # p.27
    REFUSAL_REPORT = "refusal_report"  # p.28
    REFUSAL_REPEAT_WINDOW = "refusal_repeat_window"  # p.28
    MONTHLY_REPORT_DAY = "monthly_report_day"  # p.31
    DISCREPANCY_EXPLANATION = "discrepancy_explanation"  # p.32
    OUTAGE_NOTICE_LEAD = "outage_notice_lead"  # p.38
    ICT_REPORT_DAY = "ict_report_day"  # p.39
    RECORDING_RETENTION = "recording_retention"  # own setting, closest p.14 (ADR 0006)
