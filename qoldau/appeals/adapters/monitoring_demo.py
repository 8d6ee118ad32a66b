"""Demo monitoring system (R15): a few made-up applications, found by number or IIN."""

from __future__ import annotations

import datetime as dt

from qoldau.appeals.ports import ApplicationStatus

# Synthetic IINs (serial 9xxx is never issued) with valid check digits.
DEMO_IIN = "900101399998"
_DEMO = [
    (
        "KZ-APP-2026-0001",
        DEMO_IIN,
        "00101",
        "Регистрация по месту жительства",
        "in_review",
        "На рассмотрении",
        "ЦОН г. Астаны",
    ),
    (
        "KZ-APP-2026-0002",
        DEMO_IIN,
        "00205",
        "Выдача справки о несудимости",
        "ready",
        "Готово к выдаче",
        "ЦОН г. Алматы",
    ),
    (
        "KZ-APP-2026-0003",
        "850505499999",
        "00312",
        "Назначение пособия",
        "refused",
        "Отказано",
        "Отдел занятости",
    ),
]


class DemoMonitoring:
    def applications(
        self, *, application_number: str = "", iin: str = ""
    ) -> list[ApplicationStatus]:
        number = application_number.strip().upper()
        found = []
        for app_no, app_iin, service_no, name, stage, label, provider in _DEMO:
            if (number and number == app_no) or (iin and iin.strip() == app_iin):
                found.append(
                    ApplicationStatus(
                        application_number=app_no,
                        service_register_number=service_no,
                        service_name=name,
                        stage=stage,
                        stage_label=label,
                        updated_at=dt.datetime(2026, 1, 15, 10, 0, tzinfo=dt.UTC),
                        provider=provider,
                    )
                )
        return found
