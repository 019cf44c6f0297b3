"""Callback tickets get their own SLA: call back within two business hours."""

from django.db import migrations

CALLBACK_TAG = "takaisinsoitto"
TWO_HOURS = 120


def create_policy(apps, schema_editor):
    Calendar = apps.get_model("sla", "Calendar")
    SlaPolicy = apps.get_model("sla", "SlaPolicy")
    if SlaPolicy.objects.filter(name="Takaisinsoitto / Callback").exists():
        return
    calendar = (
        Calendar.objects.filter(is_default=True).first() or Calendar.objects.order_by("pk").first()
    )
    if calendar is None:
        return
    SlaPolicy.objects.create(
        name="Takaisinsoitto / Callback",
        # Before the catch-all (100): the first matching policy applies.
        position=10,
        calendar=calendar,
        match_tags=[CALLBACK_TAG],
        targets={p: {"first_reply": TWO_HOURS} for p in ("urgent", "high", "normal", "low")},
        warn_before_minutes=30,
    )


class Migration(migrations.Migration):
    dependencies = [("phone", "0001_initial"), ("sla", "0002_default_calendar_and_policy")]

    operations = [migrations.RunPython(create_policy, migrations.RunPython.noop)]
