"""Seed the working-day calendar: the 2026 Constitution Day override, then 2016-2027.

Fixed years, not "through next year": a migration must give the same result whenever it runs.
Later years are loaded by `qoldau workdays ensure` / the daily periodic task
(`workdays_ensure_loaded`), and the system check workdays.W001 warns when next year is missing.
"""

import datetime as dt

from django.db import migrations

FIRST_YEAR = 2016
LAST_YEAR = 2027

CONSTITUTION_DAY_2026 = {
    "date": dt.date(2026, 8, 31),
    "is_working": True,
    "reason_kk": (
        "Конституция күні енді 30 тамызда атап өтілмейді: 2026 жылғы 15 наурыздағы "
        "республикалық референдумда қабылданған Конституция (2026 жылғы 1 шілдеде күшіне енді) "
        "оны 15 наурызға ауыстырды. Бұрынғы күнтізбелер 30 тамыз, жексенбі үшін демалыс деп "
        "көрсеткен 2026 жылғы 31 тамыз, дүйсенбі — жұмыс күні."
    ),
    "reason_ru": (
        "День Конституции больше не отмечается 30 августа: Конституция, принятая на "
        "республиканском референдуме 15 марта 2026 года (вступила в силу 1 июля 2026 года), "
        "перенесла его на 15 марта. Понедельник 31 августа 2026 года, который прежние календари "
        "давали как выходной за воскресенье 30 августа, — рабочий день."
    ),
    "reason_en": (
        "Constitution Day is no longer 30 August: the Constitution adopted by the republican "
        "referendum of 15 March 2026 (in force from 1 July 2026) moved it to 15 March. Monday "
        "31 August 2026, which earlier calendars gave as the day off for Sunday 30 August, is a "
        "working day."
    ),
    "decree_title": (
        "Қазақстан Республикасының Конституциясы (2026 жылғы 15 наурызда республикалық "
        "референдумда қабылданды, 2026 жылғы 1 шілдеде күшіне енді)"
    ),
    "decree_number": "",
    "decree_date": dt.date(2026, 3, 15),
}


def seed(apps, schema_editor):
    from qoldau.workdays.loading import write_years

    day_model = apps.get_model("workdays", "CalendarDay")
    override_model = apps.get_model("workdays", "CalendarOverride")
    values = dict(CONSTITUTION_DAY_2026)
    override_model.objects.update_or_create(date=values.pop("date"), defaults=values)
    if not day_model.objects.exists():
        write_years(
            list(range(FIRST_YEAR, LAST_YEAR + 1)),
            day_model=day_model,
            override_model=override_model,
        )


def unseed(apps, schema_editor):
    apps.get_model("workdays", "CalendarDay").objects.all().delete()
    apps.get_model("workdays", "CalendarOverride").objects.filter(
        date=CONSTITUTION_DAY_2026["date"]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("workdays", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
