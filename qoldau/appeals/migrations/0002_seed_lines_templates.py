"""Seed the phone lines of the Rules (R8: 1414 and 8 800 080 7777) and two answer templates.
Lines are data: the 2013 Rules had others, an administrator adds or retires them."""

from django.db import migrations

LINES = [
    ("phone", "1414", "1414", "1414 желісі", "Линия 1414", "Line 1414"),
    (
        "phone",
        "8800",
        "88000807777",
        "8 800 080 7777 тегін желісі",
        "Бесплатная линия 8 800 080 7777",
        "Toll-free line 8 800 080 7777",
    ),
]

TEMPLATES = [
    (
        "consultation-given",
        ("Кеңес берілді", "Консультация дана", "Consultation given"),
        (
            "Құрметті өтініш беруші! Сіздің сұрағыңыз бойынша кеңес берілді. Қосымша сұрақтар "
            "туындаса, 1414 нөміріне хабарласыңыз.",
            "Уважаемый заявитель! По вашему вопросу дана консультация. Если появятся "
            "дополнительные вопросы, позвоните по номеру 1414.",
            "Dear applicant, your question has been answered. If you have further questions, "
            "call 1414.",
        ),
    ),
    (
        "egov-how-to",
        ("eGov порталы арқылы", "Через портал eGov", "Through the eGov portal"),
        (
            "Құрметті өтініш беруші! Бұл қызметті eGov.kz порталында электрондық цифрлық "
            "қолтаңбамен алуға болады.",
            "Уважаемый заявитель! Эту услугу можно получить на портале eGov.kz с электронной "
            "цифровой подписью.",
            "Dear applicant, this service is available on the eGov.kz portal with an electronic "
            "digital signature.",
        ),
    ),
]


def seed(apps, schema_editor):
    Line = apps.get_model("appeals", "Line")
    AnswerTemplate = apps.get_model("appeals", "AnswerTemplate")
    for kind, code, address, kk, ru, en in LINES:
        Line.objects.get_or_create(
            code=code,
            defaults={"kind": kind, "address": address, "name_kk": kk, "name_ru": ru, "name_en": en},
        )
    for code, titles, texts in TEMPLATES:
        AnswerTemplate.objects.get_or_create(
            code=code,
            defaults={
                "title_kk": titles[0],
                "title_ru": titles[1],
                "title_en": titles[2],
                "text_kk": texts[0],
                "text_ru": texts[1],
                "text_en": texts[2],
            },
        )


class Migration(migrations.Migration):
    dependencies = [("appeals", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
