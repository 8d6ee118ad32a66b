"""The monitoring information system of public services (R15): the stage of an application.

Adapters: ``adapters.monitoring_demo.DemoMonitoring`` (default; demo data) and
``adapters.monitoring_http.HttpMonitoring`` (the JSON contract in docs/appeals.md), chosen by the
dotted path in ``APPEALS_MONITORING_ADAPTER`` the way ``EMAIL_BACKEND`` works.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class ApplicationStatus:
    """One application for a public service as the monitoring system reports it."""

    application_number: str
    service_register_number: str
    service_name: str
    stage: str  # submitted, in_review, ready, issued, refused
    stage_label: str
    updated_at: dt.datetime | None
    provider: str


class MonitoringUnavailable(Exception):
    """The monitoring system did not answer in time or answered nonsense."""


class MonitoringSystem(Protocol):
    def applications(
        self, *, application_number: str = "", iin: str = ""
    ) -> list[ApplicationStatus]: ...


def monitoring_system() -> MonitoringSystem:
    path = getattr(
        settings,
        "APPEALS_MONITORING_ADAPTER",
        "qoldau.appeals.adapters.monitoring_demo.DemoMonitoring",
    )
    adapter: MonitoringSystem = import_string(path)()
    return adapter
