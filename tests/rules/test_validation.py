"""Rule definitions are checked against the registered schemas before they are saved."""

from __future__ import annotations

import importlib

import pytest
from django.core.exceptions import ValidationError

from tiski.rules.models import TimeRule, Trigger
from tiski.rules.registry import validate_rule_definition

GOOD_ACTIONS = [{"type": "add_tags", "tags": ["vip"]}]


def errors_of(**kwargs) -> dict[str, list[str]]:
    kwargs.setdefault("kind", "trigger")
    kwargs.setdefault("events", ["ticket_created"])
    kwargs.setdefault("actions", GOOD_ACTIONS)
    kwargs.setdefault("conditions", {})
    with pytest.raises(ValidationError) as info:
        validate_rule_definition(**kwargs)
    return info.value.message_dict


def test_a_good_definition_passes():
    validate_rule_definition(
        kind="trigger",
        events=["ticket_created", "customer_replied"],
        conditions={"all": [{"type": "status", "op": "in", "value": ["new"]}]},
        actions=GOOD_ACTIONS,
    )


@pytest.mark.parametrize(
    ("conditions", "fragment"),
    [
        ({"all": [{"type": "nope"}]}, "all[0]: unknown condition type"),
        ({"all": [{"type": "status", "op": "in", "value": "new"}]}, "all[0]"),
        ({"any": [{}, {"type": "status", "value": "bogus"}]}, "any[1]"),
        ({"all": [{"type": "status", "value": "open", "extra": 1}]}, "all[0]: extra"),
        ({"all": [{"type": "hours_since", "since": "created"}]}, "all[0]: hours"),
        ({"all": [{"type": "hours_since", "since": "x", "hours": 3}]}, "all[0]: since"),
        ({"all": [{"type": "team", "value": "sales"}]}, "all[0]"),
        ({"all": [{"type": "text", "op": "any_word", "value": "!!"}]}, "all[0]"),
        ({"every": []}, "unknown keys every"),
        ({"all": [{"any": [{"all": [{"type": "status", "value": "open"}]}]}]}, "all[0].any[0]"),
    ],
)
def test_bad_conditions_are_reported_by_index(conditions, fragment):
    messages = errors_of(conditions=conditions)["conditions"]
    assert any(fragment in message for message in messages), messages


@pytest.mark.parametrize(
    ("actions", "fragment"),
    [
        ([], "at least one action"),
        ([{"type": "explode"}], "[0]: unknown action type"),
        ([GOOD_ACTIONS[0], {"type": "set_status", "status": "done"}], "[1]: status"),
        ([{"type": "add_note", "text": "{{ settings.SECRET_KEY }}"}], "[0]: text"),
        ([{"type": "notify", "to": "everyone", "text": "x"}], "[0]: to"),
        ([{"type": "email_requester", "subject": {"sv": "x"}, "text": "y"}], "[0]: subject"),
    ],
)
def test_bad_actions_are_reported_by_index(actions, fragment):
    messages = errors_of(actions=actions)["actions"]
    assert any(fragment in message for message in messages), messages


def test_triggers_need_known_events():
    assert "events" in errors_of(events=[])
    assert any("[1]" in m for m in errors_of(events=["ticket_created", "boom"])["events"])


def test_time_rules_need_a_time_condition():
    errors = errors_of(kind="time", conditions={"all": [{"type": "status", "value": "open"}]})
    assert "time condition" in errors["conditions"][0]


@pytest.mark.django_db
def test_model_clean_shows_errors_at_the_field():
    """The admin calls full_clean: errors land on the conditions/actions fields."""
    trigger = Trigger(name="x", events=["ticket_created"], conditions={"all": [{"type": "?"}]})
    with pytest.raises(ValidationError) as info:
        trigger.full_clean()
    assert set(info.value.message_dict) >= {"conditions", "actions"}


@pytest.mark.django_db
def test_shipped_time_rules_are_valid_and_active():
    module = importlib.import_module("tiski.rules.migrations.0002_default_time_rules")
    rules = list(TimeRule.objects.order_by("position"))
    assert [r.name for r in rules] == [r["name"] for r in module.DEFAULT_TIME_RULES]
    for rule in rules:
        assert rule.active
        rule.full_clean()
