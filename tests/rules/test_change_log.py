"""Rules in the Settings change log (#13): created, edited, switched, copied, deleted."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tiski.rules import services
from tiski.rules.models import Trigger
from tiski.setup.models import SettingChange

pytestmark = pytest.mark.django_db

TAG = [{"type": "add_tags", "tags": ["x"]}]


def logged(section: str = "triggers") -> list[SettingChange]:
    return list(SettingChange.objects.filter(section=section).order_by("id"))


def save(actor, rule=None, **values):
    values.setdefault("name", "Laskutus")
    values.setdefault("active", True)
    values.setdefault("conditions", {"all": []})
    values.setdefault("actions", TAG)
    values.setdefault("events", ["ticket_created"])
    return services.save_rule("trigger", actor=actor, rule=rule, **values)


def test_creating_and_editing_a_rule_is_logged_with_what_changed(admin_user):
    rule = save(admin_user)
    [created] = logged()
    assert (created.action, created.actor, created.object_label) == (
        "created",
        admin_user,
        "Laskutus",
    )
    assert created.object_id == str(rule.pk)
    assert created.changes["name"] == [None, "Laskutus"]
    assert created.changes["events"] == [None, ["Ticket is created"]]

    save(
        admin_user,
        rule=rule,
        name="Laskut",
        conditions={"all": [{"type": "status", "op": "equals", "value": "open"}]},
    )
    changed = logged()[-1]
    assert changed.action == "changed"
    assert set(changed.changes) == {"name", "conditions"}
    assert changed.changes["name"] == ["Laskutus", "Laskut"]
    assert '"status"' in changed.changes["conditions"][1]

    # Saving an unedited rule writes nothing.
    save(
        admin_user,
        rule=Trigger.objects.get(pk=rule.pk),
        name="Laskut",
        conditions={"all": [{"type": "status", "op": "equals", "value": "open"}]},
    )
    assert len(logged()) == 2


def test_switching_copying_and_deleting_are_logged(admin_user):
    rule = save(admin_user)
    services.set_rule_active(rule, False, actor=admin_user)
    copy = services.duplicate_rule(rule, actor=admin_user)
    services.delete_rule(copy, actor=admin_user)
    actions = [(c.action, c.object_label, c.changes.get("active")) for c in logged()]
    assert actions == [
        ("created", "Laskutus", [None, True]),
        ("changed", "Laskutus", [True, False]),
        ("created", "Laskutus (copy)", [None, False]),
        ("deleted", "Laskutus (copy)", None),
    ]


def test_time_rules_have_their_own_section_and_the_log_page_shows_rules(client, admin_user):
    from tiski.rules.models import TimeRule

    time_rule = TimeRule.objects.first()
    services.set_rule_active(time_rule, not time_rule.active, actor=admin_user)
    assert logged("time_rules")[0].object_label == time_rule.name

    admin_user.language = "en"
    admin_user.save()
    client.force_login(admin_user)
    response = client.post(
        reverse("rules:trigger-new"),
        {
            "name": "Uusi sääntö",
            "active": "1",
            "events": "ticket_created",
            "act": "a1",
            "a1-type": "add_tags",
            "a1-node": "action",
            "a1-tags": "vip",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    page = client.get(reverse("setup:log")).content.decode()
    assert "Uusi sääntö" in page and "Triggers" in page and time_rule.name in page
