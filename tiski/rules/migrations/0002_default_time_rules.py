"""The time rules every desk starts with; admins edit or switch them off."""

from django.db import migrations

UNSOLVED_ACTIVE = {"type": "status", "op": "in", "value": ["new", "open"]}

DEFAULT_TIME_RULES = [
    {
        "name": "Ratkaise odottava tiketti 7 päivän jälkeen",
        "position": 10,
        "conditions": {
            "all": [
                {"type": "status", "op": "equals", "value": "pending"},
                {"type": "hours_since", "since": "status_changed", "op": "at_least", "hours": 168},
            ]
        },
        "actions": [{"type": "set_status", "status": "solved"}],
    },
    {
        "name": "Muistuta asiakasta odottavasta tiketistä 3 päivän jälkeen",
        "position": 20,
        "conditions": {
            "all": [
                {"type": "status", "op": "equals", "value": "pending"},
                {"type": "hours_since", "since": "status_changed", "op": "at_least", "hours": 72},
            ]
        },
        "actions": [
            {
                "type": "email_requester",
                "subject": {
                    "fi": "Muistutus: odotamme vastaustasi [#{{ ticket.number }}]",
                    "en": "Reminder: we are waiting for your reply [#{{ ticket.number }}]",
                },
                "text": {
                    "fi": (
                        "Hei {{ requester.first_name }},\n\n"
                        "odotamme vielä vastaustasi asiaan ”{{ ticket.subject }}”. "
                        "Vastaa tähän viestiin, niin jatkamme asian käsittelyä. "
                        "Jos emme kuule sinusta, merkitsemme asian ratkaistuksi "
                        "muutaman päivän kuluttua.\n\nYstävällisin terveisin\n"
                        "{{ agent.name }}"
                    ),
                    "en": (
                        "Hello {{ requester.first_name }},\n\n"
                        "we are still waiting for your reply about “{{ ticket.subject }}”. "
                        "Reply to this message and we will continue. If we do not hear "
                        "from you, we will mark the request solved in a few days.\n\n"
                        "Kind regards\n{{ agent.name }}"
                    ),
                },
            }
        ],
    },
    {
        "name": "Muistuta käsittelijää, kun tiketti on ollut hiljaa 24 työtuntia",
        "position": 30,
        "conditions": {
            "all": [
                UNSOLVED_ACTIVE,
                {"type": "assignee", "op": "not_equals", "value": None},
                {
                    "type": "hours_since",
                    "since": "updated",
                    "op": "at_least",
                    "hours": 24,
                    "business": True,
                },
            ]
        },
        "actions": [
            {
                "type": "notify",
                "to": "assignee",
                "text": {
                    "fi": (
                        "Tiketti #{{ ticket.number }} ”{{ ticket.subject }}” on ollut "
                        "ilman päivitystä yli 24 työtuntia."
                    ),
                    "en": (
                        "Ticket #{{ ticket.number }} “{{ ticket.subject }}” has had no "
                        "update for more than 24 business hours."
                    ),
                },
            }
        ],
    },
    {
        "name": "Sulje ratkaistu tiketti 4 päivän jälkeen",
        "position": 40,
        "conditions": {
            "all": [
                {"type": "status", "op": "equals", "value": "solved"},
                {"type": "hours_since", "since": "status_changed", "op": "at_least", "hours": 96},
            ]
        },
        "actions": [{"type": "set_status", "status": "closed"}],
    },
]


def create_rules(apps, schema_editor):
    TimeRule = apps.get_model("rules", "TimeRule")
    for rule in DEFAULT_TIME_RULES:
        TimeRule.objects.get_or_create(
            name=rule["name"],
            defaults={
                "position": rule["position"],
                "conditions": rule["conditions"],
                "actions": rule["actions"],
                "active": True,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("rules", "0001_initial")]

    operations = [migrations.RunPython(create_rules, migrations.RunPython.noop)]
