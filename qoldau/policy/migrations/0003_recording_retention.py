"""How long call recordings are kept: the contact center's own setting (R17, Rules p.14).

The Rules make the contact center record every call (2013 p.21) and hand a recording to an
authorized body within four hours of its written request (p.14), but name no retention period.
The contact center sets it as data like every other number, marked as its own setting
(``rules="ucc"``) and citing the closest paragraph; see docs/adr/0006-recording-retention.md.
"""

import datetime as dt
from decimal import Decimal

from django.db import migrations, models

START = dt.date(2016, 3, 1)

ROW = {
    "code": "recording_retention",
    "value": Decimal(12),
    "unit": "months",
    "rules": "ucc",
    "paragraph_2016": "p.14",
    "paragraph_2013": "2013 p.21",
    "text_variant": "",
    "valid_from": START,
    "valid_to": None,
    "title_kk": "Сөйлесу жазбаларын сақтау мерзімі",
    "title_ru": "Срок хранения записей разговоров",
    "title_en": "Retention period of call recordings",
    "note_kk": (
        "Қағидалар жазбаларды сақтау мерзімін белгілемейді: бұл Бірыңғай байланыс орталығының "
        "өз баптауы. Жазба уәкілетті органның жазбаша сұрау салуы бойынша төрт сағат ішінде "
        "берілуі тиіс болғандықтан (Қағидалардың 14-тармағы), ол қоңыраудан кейін 12 ай "
        "сақталады; сұрау салуда тұрған жазба жойылмайды."
    ),
    "note_ru": (
        "Правила не устанавливают срок хранения записей: это собственная настройка Единого "
        "контакт-центра. Поскольку запись предоставляется по письменному запросу "
        "уполномоченного органа в течение четырёх часов (п. 14 Правил), она хранится 12 "
        "месяцев после звонка; запись, затребованная запросом, не удаляется."
    ),
    "note_en": (
        "The Rules set no retention period for recordings: this is the contact center's own "
        "setting. Because a recording must be provided within four hours of an authorized "
        "body's written request (Rules p.14), it is kept for 12 months after the call; a "
        "recording held by a recording request is not deleted."
    ),
}


def seed(apps, schema_editor):
    PolicyRule = apps.get_model("policy", "PolicyRule")
    key = {k: ROW[k] for k in ("code", "text_variant", "valid_from")}
    PolicyRule.objects.update_or_create(
        **key, defaults={k: v for k, v in ROW.items() if k not in key}
    )


def unseed(apps, schema_editor):
    PolicyRule = apps.get_model("policy", "PolicyRule")
    PolicyRule.objects.filter(code=ROW["code"], rules="ucc").delete()


class Migration(migrations.Migration):
    dependencies = [("policy", "0002_seed_rules")]

    operations = [
        migrations.AlterField(
            model_name="policyrule",
            name="rules",
            field=models.CharField(
                choices=[
                    ("2016", "Rules of 2016 (Order No. 83), as amended"),
                    ("2013", "Rules of 2013 (Order No. 487), repealed"),
                    ("ucc", "The contact center's own setting"),
                ],
                default="2016",
                max_length=4,
                verbose_name="Rules",
            ),
        ),
        migrations.RunPython(seed, unseed),
    ]
