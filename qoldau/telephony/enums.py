"""Choices of call records (R16)."""

from django.db import models
from django.utils.translation import pgettext_lazy


class CallState(models.TextChoices):
    ARRIVED = "arrived", pgettext_lazy("call state", "Arrived")
    QUEUED = "queued", pgettext_lazy("call state", "Waiting")
    OFFERED = "offered", pgettext_lazy("call state", "Ringing")
    TALKING = "talking", pgettext_lazy("call state", "Talking")
    ENDED = "ended", pgettext_lazy("call state", "Ended")
    ABANDONED = "abandoned", pgettext_lazy("call state", "Abandoned")


FINISHED = frozenset({CallState.ENDED, CallState.ABANDONED})
