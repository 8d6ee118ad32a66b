"""HTTP adapter of the monitoring information system (R15). Contract (docs/appeals.md):

GET {APPEALS_MONITORING_URL}/applications?number=…  or  ?iin=…
Header ``Authorization: Bearer {APPEALS_MONITORING_TOKEN}``; answer 200 with JSON
``{"applications": [{"application_number", "service_register_number", "service_name", "stage",
"stage_label", "updated_at" (ISO 8601), "provider"}]}``; 404 or an empty list: nothing found.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from django.conf import settings
from django.utils.dateparse import parse_datetime

from qoldau.appeals.ports import ApplicationStatus, MonitoringUnavailable


class HttpMonitoring:
    def __init__(self, base_url: str | None = None, token: str | None = None) -> None:
        self.base_url = str(base_url or getattr(settings, "APPEALS_MONITORING_URL", "")).rstrip("/")
        self.token = (
            token if token is not None else getattr(settings, "APPEALS_MONITORING_TOKEN", "")
        )
        self.timeout = float(getattr(settings, "APPEALS_MONITORING_TIMEOUT", 5))

    def applications(
        self, *, application_number: str = "", iin: str = ""
    ) -> list[ApplicationStatus]:
        if not self.base_url.startswith(("http://", "https://")):
            raise MonitoringUnavailable("APPEALS_MONITORING_URL is not set")
        query = {"number": application_number} if application_number else {"iin": iin}
        url = f"{self.base_url}/applications?{urllib.parse.urlencode(query)}"
        request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                payload: Any = json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return []
            raise MonitoringUnavailable(str(exc)) from exc
        except (OSError, ValueError) as exc:
            raise MonitoringUnavailable(str(exc)) from exc
        return [self._parse(item) for item in payload.get("applications", [])]

    @staticmethod
    def _parse(item: dict[str, Any]) -> ApplicationStatus:
        try:
            return ApplicationStatus(
                application_number=str(item["application_number"]),
                service_register_number=str(item.get("service_register_number", "")),
                service_name=str(item.get("service_name", "")),
                stage=str(item["stage"]),
                stage_label=str(item.get("stage_label", item["stage"])),
                updated_at=parse_datetime(str(item.get("updated_at") or "")),
                provider=str(item.get("provider", "")),
            )
        except (KeyError, TypeError) as exc:
            raise MonitoringUnavailable("malformed application record") from exc
