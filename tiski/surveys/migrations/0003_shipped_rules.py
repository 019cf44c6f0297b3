"""The survey triggers every desk starts with; admins edit or switch them in Settings -> Triggers.

The survey after solving is on (surveys themselves can be switched off in
Settings -> Surveys); the bad-rating alert is off until an admin wants it.
"""

from django.db import migrations

SURVEY_TRIGGERS = [
    {
        "name": "Kysy tyytyväisyyttä, kun tiketti ratkaistaan",
        "position": 900,
        "active": True,
        "events": ["status_changed"],
        "conditions": {"all": [{"type": "status", "op": "equals", "value": "solved"}]},
        "actions": [{"type": "send_survey"}],
    },
    {
        "name": "Huono arvio: ilmoita tiimille ja lisää tunniste",
        "position": 910,
        "active": False,
        "events": ["satisfaction_rated"],
        "conditions": {"all": [{"type": "satisfaction", "value": "bad"}]},
        "actions": [
            {"type": "add_tags", "tags": ["huono-arvio"]},
            {
                "type": "notify",
                "to": "team",
                "text": {
                    "fi": (
                        "Asiakas antoi huonon arvion tiketistä #{{ ticket.number }} "
                        "”{{ ticket.subject }}”."
                    ),
                    "en": (
                        "The customer gave a bad rating on ticket #{{ ticket.number }} "
                        "“{{ ticket.subject }}”."
                    ),
                },
            },
        ],
    },
]


def create_triggers(apps, schema_editor):
    Trigger = apps.get_model("rules", "Trigger")
    for rule in SURVEY_TRIGGERS:
        Trigger.objects.get_or_create(
            name=rule["name"],
            defaults={key: value for key, value in rule.items() if key != "name"},
        )


class Migration(migrations.Migration):
    dependencies = [("surveys", "0002_surveysettings"), ("rules", "0002_default_time_rules")]

    operations = [migrations.RunPython(create_triggers, migrations.RunPython.noop)]
