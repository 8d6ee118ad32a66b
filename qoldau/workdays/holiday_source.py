"""What the ``holidays`` package says about each date of a year (R32). Pure: no database.

``plan_year`` is also called by the data migration ``0002_seed_calendar``: keep its signature.

Rules (holidays 0.108, ``holidays.KZ``):
- Saturday and Sunday are days off; every date the package lists is a day off (public holidays,
  their observed days, and Orthodox Christmas and Eid al-Adha, which are days off but never moved);
- an entry named "Day off (substituted from MM/DD/YYYY)" makes that date a day off and the *from*
  date (a Saturday or Sunday, possibly in the previous year: 2013-12-28 for 2014-01-03) a working
  day. The English names are parsed because they carry the *from* date in a fixed format.
- an override (a decree the package does not know, or a change it must not undo) wins.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass

import holidays

from qoldau.workdays.enums import DayKind, DaySource

logger = logging.getLogger(__name__)

FIRST_SUPPORTED_YEAR = 1992  # the package starts at 1991; a year's plan reads the year before
LAST_SUPPORTED_YEAR = 2100

_SUBSTITUTED = re.compile(r"^Day off \(substituted from (\d{2})/(\d{2})/(\d{4})\)$")
_LABELLED = re.compile(
    r"^(?P<base>.+?)(?: \((?P<label>observed|estimated|observed, estimated)\))?$"
)

# Russian names of the package's Kazakhstan holidays (the package ships kk and en_US only).
# Official Russian names as the Law "On holidays in the Republic of Kazakhstan" gives them.
RU_NAMES: dict[str, str] = {
    "New Year's Day": "Новый год",
    "Orthodox Christmas": "Православное Рождество",
    "International Women's Day": "Международный женский день",
    "Nowruz Holiday": "Наурыз мейрамы",
    "Kazakhstan's People Solidarity Holiday": "Праздник единства народа Казахстана",
    "Defender of the Fatherland Day": "День защитника Отечества",
    "Victory Day": "День Победы",
    "Capital Day": "День Столицы",
    "Constitution Day": "День Конституции Республики Казахстан",
    "Republic Day": "День Республики",
    "First President Day": "День Первого Президента Республики Казахстан",
    "Independence Day": "День Независимости",
    "Eid al-Adha": "Курбан айт",
}
RU_LABELS: dict[str, str] = {
    "observed": "перенесённый выходной",
    "estimated": "дата ориентировочная",
    "observed, estimated": "перенесённый выходной, дата ориентировочная",
}


@dataclass(frozen=True)
class PlannedDay:
    date: dt.date
    is_working: bool
    kind: str
    name_kk: str
    name_ru: str
    name_en: str
    source: str


def _fmt(day: dt.date) -> str:
    return day.strftime("%d.%m.%Y")


def russian_name(english: str) -> str | None:
    """The Russian name of one package entry, or None for a name this module does not know."""
    substituted = _SUBSTITUTED.match(english)
    if substituted:
        month, day, year = (int(part) for part in substituted.groups())
        moved_from = _fmt(dt.date(year, month, day))
        return f"Выходной день (перенесён с {moved_from})"
    labelled = _LABELLED.match(english)
    if labelled is None or labelled["base"] not in RU_NAMES:
        return None
    name = RU_NAMES[labelled["base"]]
    return f"{name} ({RU_LABELS[labelled['label']]})" if labelled["label"] else name


def _split(name: str) -> list[str]:
    return [part.strip() for part in name.split(";") if part.strip()]


def substitutions(years: range | list[int]) -> dict[dt.date, dt.date]:
    """``{day off: weekend date made working}`` for every substitution the package lists in
    ``years``."""
    found: dict[dt.date, dt.date] = {}
    for day, name in holidays.country_holidays("KZ", years=list(years), language="en_US").items():
        for part in _split(name):
            match = _SUBSTITUTED.match(part)
            if match:
                month, dom, year = (int(p) for p in match.groups())
                found[day] = dt.date(year, month, dom)
    return found


def _package_day(
    day: dt.date,
    en: Mapping[dt.date, str],
    kk: Mapping[dt.date, str],
    days_off: Mapping[dt.date, dt.date],
    working_weekends: Mapping[dt.date, dt.date],
) -> PlannedDay:
    if day in working_weekends:
        moved_to = _fmt(working_weekends[day])
        return PlannedDay(
            date=day,
            is_working=True,
            kind=DayKind.WORKING_WEEKEND.value,
            name_kk=f"Жұмыс күні ({moved_to} демалыс күнінің орнына)",
            name_ru=f"Рабочий день (взамен выходного {moved_to})",
            name_en=f"Working day (in exchange for the day off on {moved_to})",
            source=DaySource.PACKAGE.value,
        )
    if day in en:
        en_parts = _split(en[day])
        kk_parts = _split(kk.get(day, ""))
        if len(kk_parts) != len(en_parts):
            kk_parts = [kk.get(day, "")] * len(en_parts)
        names: list[tuple[str, str, str]] = []
        for en_part, kk_part in zip(en_parts, kk_parts, strict=True):
            if day in days_off and _SUBSTITUTED.match(en_part):
                moved_from = _fmt(days_off[day])
                names.append(
                    (
                        f"Демалыс күні ({moved_from} күнінен ауыстырылды)",
                        f"Выходной день (перенесён с {moved_from})",
                        f"Day off (moved from {moved_from})",
                    )
                )
                continue
            ru_part = russian_name(en_part)
            if ru_part is None:
                logger.warning("no Russian name for the holiday %r; using the Kazakh one", en_part)
                ru_part = kk_part
            names.append((kk_part, ru_part, en_part))
        only_moves = all(_SUBSTITUTED.match(part) for part in en_parts)
        return PlannedDay(
            date=day,
            is_working=False,
            kind=(DayKind.TRANSFERRED_DAY_OFF if only_moves else DayKind.HOLIDAY).value,
            name_kk="; ".join(n[0] for n in names),
            name_ru="; ".join(n[1] for n in names),
            name_en="; ".join(n[2] for n in names),
            source=DaySource.PACKAGE.value,
        )
    weekend = day.weekday() >= 5
    return PlannedDay(
        date=day,
        is_working=not weekend,
        kind=(DayKind.WEEKEND if weekend else DayKind.WORKING).value,
        name_kk="",
        name_ru="",
        name_en="",
        source=DaySource.PACKAGE.value,
    )


def apply_override(planned: PlannedDay, is_working: bool) -> PlannedDay:
    """The day as an override makes it. Names stay only where the override keeps the package's
    status (a holiday confirmed as a day off); a flipped day loses names that no longer apply."""
    weekend = planned.date.weekday() >= 5
    if is_working:
        kind = DayKind.WORKING_WEEKEND if weekend else DayKind.WORKING
    elif not planned.is_working:
        kind = DayKind(planned.kind)
    else:
        kind = DayKind.WEEKEND if weekend else DayKind.TRANSFERRED_DAY_OFF
    keep_names = is_working == planned.is_working
    return PlannedDay(
        date=planned.date,
        is_working=is_working,
        kind=kind.value,
        name_kk=planned.name_kk if keep_names else "",
        name_ru=planned.name_ru if keep_names else "",
        name_en=planned.name_en if keep_names else "",
        source=DaySource.OVERRIDE.value,
    )


def plan_year(year: int, overrides: Mapping[dt.date, bool]) -> list[PlannedDay]:
    """Every date of ``year`` with its status; ``overrides`` maps dates to ``is_working``."""
    if not FIRST_SUPPORTED_YEAR <= year <= LAST_SUPPORTED_YEAR:
        raise ValueError(f"year {year} is outside {FIRST_SUPPORTED_YEAR}..{LAST_SUPPORTED_YEAR}")
    en = holidays.country_holidays("KZ", years=year, language="en_US")
    kk = holidays.country_holidays("KZ", years=year, language="kk")
    # A weekend made working may lie in the year before or after its day off.
    days_off = substitutions(range(year - 1, year + 2))
    working_weekends = {moved_from: day_off for day_off, moved_from in days_off.items()}
    plan: list[PlannedDay] = []
    day = dt.date(year, 1, 1)
    while day.year == year:
        planned = _package_day(day, en, kk, days_off, working_weekends)
        if day in overrides:
            planned = apply_override(planned, overrides[day])
        plan.append(planned)
        day += dt.timedelta(days=1)
    return plan
