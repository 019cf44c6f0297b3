"""The ticket types every desk starts with; admins edit them afterwards."""

from django.db import migrations

DEFAULT_TYPES = [
    ("question", "Kysymys", "Question"),
    ("quote-request", "Tarjouspyyntö", "Quote request"),
    ("order", "Tilaus", "Order"),
    ("complaint", "Reklamaatio", "Complaint"),
    ("support-request", "Tukipyyntö", "Support request"),
    ("lead", "Liidi", "Lead"),
]


def create_types(apps, schema_editor):
    TicketType = apps.get_model("tickets", "TicketType")
    for position, (slug, name_fi, name_en) in enumerate(DEFAULT_TYPES):
        TicketType.objects.get_or_create(
            slug=slug, defaults={"name_fi": name_fi, "name_en": name_en, "position": position}
        )


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]

    operations = [migrations.RunPython(create_types, migrations.RunPython.noop)]
