"""Seed the 17 regions and 3 cities of republican significance (R3) from data/regions-kz.csv,
and fill the search column of organisations created before it existed."""

import csv
from pathlib import Path

from django.db import migrations

REGIONS_CSV = Path(__file__).resolve().parent.parent / "data" / "regions-kz.csv"
# Kazakh letters folded to what a Russian keyboard types (the same rule as validators.search_fold).
FOLD = str.maketrans(
    {"ә": "а", "қ": "к", "ү": "у", "ұ": "у", "і": "и", "ң": "н", "ғ": "г", "ө": "о", "һ": "х",
     "ё": "е"}
)


def seed_regions(apps, schema_editor):
    Region = apps.get_model("registry", "Region")
    with REGIONS_CSV.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            Region.objects.update_or_create(
                iso_code=row["iso_3166_2"],
                defaults={
                    "kato": row["kato"],
                    "kato_checked": row["kato_checked"] == "yes",
                    "kind": row["kind"],
                    "name_kk": row["name_kk"],
                    "name_ru": row["name_ru"],
                    "name_en": row["name_en"],
                },
            )


def fill_search_text(apps, schema_editor):
    Organisation = apps.get_model("registry", "Organisation")
    for org in Organisation.objects.filter(search_text=""):
        parts = [org.name_kk, org.name_ru, org.name_en, org.bin or ""]
        org.search_text = " ".join(p for p in parts if p).casefold().translate(FOLD)
        org.save(update_fields=["search_text"])


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0002_services_bylaws_contacts"),
    ]

    operations = [
        migrations.RunPython(seed_regions, migrations.RunPython.noop),
        migrations.RunPython(fill_search_text, migrations.RunPython.noop),
    ]
