"""A first synonym list that a Finnish desk needs; admins edit it in Settings."""

from django.db import migrations

SHIPPED = [
    "ma, maanantai",
    "ti, tiistai",
    "ke, keskiviikko",
    "to, torstai",
    "pe, perjantai",
    "la, lauantai",
    "su, sunnuntai",
    "lasku, faktuura",
    "verkkolasku, e-lasku",
    "tilaus, ostos",
    "palautus, rahanpalautus",
    "sähköposti, sposti, email",
]


def ship(apps, schema_editor):
    SynonymGroup = apps.get_model("search", "SynonymGroup")
    if not SynonymGroup.objects.exists():
        SynonymGroup.objects.bulk_create(SynonymGroup(words=words) for words in SHIPPED)


class Migration(migrations.Migration):
    dependencies = [("search", "0003_synonyms")]
    operations = [migrations.RunPython(ship, migrations.RunPython.noop)]
