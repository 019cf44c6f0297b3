"""rules.services: the one write path for rule pages and the API."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F

from tiski.accounts.models import Role
from tiski.rules import services
from tiski.rules.models import TimeRule, Trigger

pytestmark = pytest.mark.django_db

TAG = [{"type": "add_tags", "tags": ["x"]}]


def save(actor, **values):
    values.setdefault("name", "Sääntö")
    values.setdefault("active", True)
    values.setdefault("conditions", {"all": []})
    values.setdefault("actions", TAG)
    values.setdefault("events", ["ticket_created"])
    return services.save_rule("trigger", actor=actor, **values)


def test_only_admins_may_save(make_user, admin_user):
    agent = make_user(role=Role.AGENT)
    with pytest.raises(PermissionDenied):
        save(agent)
    with pytest.raises(PermissionDenied):
        save(None)
    admin_user.is_active = False
    with pytest.raises(PermissionDenied):
        save(admin_user)
    assert not Trigger.objects.exists()
    for change in (
        lambda rule: services.set_rule_active(rule, False, actor=agent),
        lambda rule: services.move_rule(rule, 1, actor=agent),
        lambda rule: services.duplicate_rule(rule, actor=agent),
        lambda rule: services.delete_rule(rule, actor=agent),
        lambda rule: services.reorder_rules("time", [rule.pk], actor=agent),
    ):
        with pytest.raises(PermissionDenied):
            change(TimeRule.objects.first())
    assert TimeRule.objects.filter(active=True).count() == 4


def test_errors_are_keyed_by_part_and_nothing_is_saved(admin_user):
    with pytest.raises(ValidationError) as info:
        save(
            admin_user,
            name="",
            events=["ticket_made"],
            conditions={"all": [{"type": "status", "value": "x"}]},
            actions=[{"type": "set_status"}],
        )
    errors = info.value.message_dict
    assert set(errors) == {"name", "events", "conditions", "actions"}
    assert errors["conditions"][0].startswith("all[0]: ")
    assert errors["actions"][0].startswith("[0]: status: ")
    assert not Trigger.objects.exists()


def test_an_equivalent_definition_keeps_the_stored_json(admin_user):
    """Defaults written out or left out, events in another order: nothing changes."""
    stored = {"all": [{"type": "status", "value": "open"}]}
    trigger = Trigger.objects.create(
        name="A", events=["customer_replied", "ticket_created"], conditions=stored, actions=TAG
    )
    saved = save(
        admin_user,
        rule=trigger,
        name="A",
        conditions={"all": [{"type": "status", "op": "equals", "value": "open"}], "none": []},
        events=["ticket_created", "customer_replied"],
    )
    saved.refresh_from_db()
    assert saved.conditions == stored
    assert saved.events == ["customer_replied", "ticket_created"]
    # A real change is saved as given.
    changed = save(
        admin_user,
        rule=saved,
        name="A",
        conditions={"all": [{"type": "status", "op": "equals", "value": "new"}]},
    )
    changed.refresh_from_db()
    assert changed.conditions == {"all": [{"type": "status", "op": "equals", "value": "new"}]}
    assert changed.events == ["ticket_created"]


def test_saving_does_not_overwrite_what_the_engine_counts(admin_user):
    trigger = Trigger.objects.create(name="A", events=["ticket_created"], actions=TAG)
    # The engine fires the rule after the admin opened it.
    Trigger.objects.filter(pk=trigger.pk).update(fire_count=F("fire_count") + 3)
    save(admin_user, rule=trigger, name="B")
    trigger.refresh_from_db()
    assert trigger.name == "B" and trigger.fire_count == 3


def test_the_callers_object_is_left_alone_when_validation_fails(admin_user):
    trigger = Trigger.objects.create(name="A", events=["ticket_created"], actions=TAG)
    with pytest.raises(ValidationError):
        save(admin_user, rule=trigger, name="B", actions=[])
    assert trigger.name == "A" and trigger.actions == TAG


def test_a_kind_mismatch_is_a_programming_error(admin_user):
    with pytest.raises(ValueError):
        services.save_rule(
            "time",
            actor=admin_user,
            name="x",
            active=True,
            conditions={},
            actions=TAG,
            rule=Trigger.objects.create(name="A", events=["ticket_created"], actions=TAG),
        )


def test_reorder_ignores_unknown_ids_and_keeps_the_rest_after(admin_user):
    a, b, c = (
        Trigger.objects.create(name=n, position=i, events=["ticket_created"], actions=TAG)
        for i, n in enumerate("ABC")
    )
    services.reorder_rules("trigger", [c.pk, 424242, a.pk], actor=admin_user)
    ordered = list(Trigger.objects.order_by("position", "id").values_list("name", "position"))
    assert ordered == [("C", 10), ("A", 20), ("B", 30)]
