"""Choices of work distribution (R12, R16, R18)."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Presence(models.TextChoices):
    AVAILABLE = "available", pgettext_lazy("presence", "Available")
    ON_CALL = "on_call", pgettext_lazy("presence", "On a call")
    WRAP_UP = "wrap_up", pgettext_lazy("presence", "Wrap-up")
    BREAK = "break", pgettext_lazy("presence", "Break")
    OFFLINE = "offline", pgettext_lazy("presence", "Offline")


class WorkChannel(models.TextChoices):
    """What a task is: a call takes an operator whole; written appeals share their capacity."""

    VOICE = "voice", _("Call")
    EMAIL = "email", _("E-mail appeal")
    WEB = "web", _("Web appeal")


class QueueChannel(models.TextChoices):
    VOICE = "voice", _("Calls")
    TEXT = "text", _("Written appeals")
    ANY = "any", _("Calls and written appeals")


class TaskState(models.TextChoices):
    PENDING = "pending", pgettext_lazy("task state", "Waiting")
    RESERVED = "reserved", pgettext_lazy("task state", "Offered")
    ASSIGNED = "assigned", pgettext_lazy("task state", "In work")
    COMPLETED = "completed", pgettext_lazy("task state", "Completed")
    CANCELED = "canceled", pgettext_lazy("task state", "Canceled")


class ReservationState(models.TextChoices):
    PENDING = "pending", pgettext_lazy("reservation", "Offered")
    ACCEPTED = "accepted", pgettext_lazy("reservation", "Accepted")
    REJECTED = "rejected", pgettext_lazy("reservation", "Rejected")
    TIMED_OUT = "timed_out", pgettext_lazy("reservation", "Timed out")
    CANCELED = "canceled", pgettext_lazy("reservation", "Canceled")
    COMPLETED = "completed", pgettext_lazy("reservation", "Completed")


class SkillMode(models.TextChoices):
    """Which competence a queue step asks of an operator."""

    SERVICE = "service", _("The task's public service")
    ANY = "any", _("Any competence")


class LanguageMode(models.TextChoices):
    TASK = "task", _("Speaks the task's language")
    ANY = "any", _("Any language")


class SkillSource(models.TextChoices):
    MANUAL = "manual", _("Granted by a supervisor")
    TRAINING = "training", _("Granted by a passed training")


class TrainingResult(models.TextChoices):
    PASSED = "passed", _("Passed")
    FAILED = "failed", _("Not passed")
    ABSENT = "absent", _("Did not attend")
