"""A desk starts with office hours and one catch-all policy; admins edit both."""

from django.db import migrations

HOUR = 60
DEFAULT_TARGETS = {
    "urgent": {"first_reply": 1 * HOUR, "next_reply": 2 * HOUR, "resolution": 8 * HOUR},
    "high": {"first_reply": 4 * HOUR, "next_reply": 8 * HOUR, "resolution": 24 * HOUR},
    "normal": {"first_reply": 8 * HOUR, "next_reply": 16 * HOUR, "resolution": 40 * HOUR},
    "low": {"first_reply": 16 * HOUR, "next_reply": 24 * HOUR, "resolution": 80 * HOUR},
}


def create_defaults(apps, schema_editor):
    Calendar = apps.get_model("sla", "Calendar")
    SlaPolicy = apps.get_model("sla", "SlaPolicy")
    if Calendar.objects.exists():
        return
    calendar = Calendar.objects.create(
        name="Toimistoaika / Office hours",
        time_zone="Europe/Helsinki",
        country="FI",
        weekly_hours={str(day): "08:00-16:00" for day in range(5)},
        is_default=True,
    )
    SlaPolicy.objects.create(
        name="Perustaso / Standard", position=100, calendar=calendar, targets=DEFAULT_TARGETS,
        warn_before_minutes=60,
    )


class Migration(migrations.Migration):
    dependencies = [("sla", "0001_initial")]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
