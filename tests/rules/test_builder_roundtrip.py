"""Every rule opens in the builder and saves back unchanged when nothing is edited.

The tests post exactly what the rendered page holds (tests/rules/htmlform),
so a missing input or a wrongly selected option shows up as a change.
"""

from __future__ import annotations

import copy
import importlib

import pytest
from django.http import QueryDict
from django.urls import reverse

from tiski.connectors.models import Mailbox
from tiski.customers.models import Organisation
from tiski.rules.builder import RuleBuilder
from tiski.rules.models import TimeRule, Trigger
from tiski.rules.registry import ACTIONS, CONDITIONS, validate_rule_definition
from tiski.rules.services import canonical_actions, canonical_conditions
from tiski.tickets.models import TicketField, TicketType

from .htmlform import element, form_data

pytestmark = pytest.mark.django_db

SHIPPED = importlib.import_module("tiski.rules.migrations.0002_default_time_rules")


def as_query(data: dict[str, list[str]]) -> QueryDict:
    query = QueryDict(mutable=True)
    for name, values in data.items():
        query.setlist(name, values)
    return query


def open_and_save(client, kind: str, rule) -> tuple[dict[str, list[str]], object]:
    """GET the editor, post its form as it is; returns the form and the response."""
    url = reverse(f"rules:{kind}-edit", args=[rule.pk])
    page = client.get(url)
    assert page.status_code == 200
    data = form_data(page.content.decode(), "rule-form")
    return data, client.post(url, data)


@pytest.mark.parametrize("index", range(len(SHIPPED.DEFAULT_TIME_RULES)))
def test_every_shipped_time_rule_round_trips(client, admin_user, index):
    shipped = SHIPPED.DEFAULT_TIME_RULES[index]
    rule = TimeRule.objects.get(name=shipped["name"])
    before = TimeRule.objects.filter(pk=rule.pk).values().get()
    client.force_login(admin_user)
    data, response = open_and_save(client, "time", rule)
    assert response.status_code == 302, response.content.decode()[:3000]
    after = TimeRule.objects.filter(pk=rule.pk).values().get()
    for name in ("name", "active", "position", "conditions", "actions", "fire_count"):
        assert after[name] == before[name], name
    assert after["conditions"] == shipped["conditions"]
    assert after["actions"] == shipped["actions"]
    # What the builder itself made of the page means the same: nothing was
    # lost or altered on the way (the service keeps the stored JSON then).
    conditions, actions = RuleBuilder.from_post("time", as_query(data)).assemble()
    assert canonical_conditions(conditions) == canonical_conditions(shipped["conditions"])
    assert canonical_actions(actions) == canonical_actions(shipped["actions"])


def test_shipped_rule_shows_its_values_in_the_inputs(client, admin_user):
    rule = TimeRule.objects.get(position=30)  # the 24 business hours reminder
    client.force_login(admin_user)
    body = client.get(reverse("rules:time-edit", args=[rule.pk])).content.decode()
    first = element(body, "row-c1")
    assert 'value="new" checked' in first and 'value="open" checked' in first
    assert 'value="pending" checked' not in first
    assert '<option value="not_equals" selected>' in element(body, "row-c2")
    hours = element(body, "row-c3")
    assert 'value="24"' in hours and '<option value="true" selected>' in hours
    notify = element(body, "row-a1")
    assert '<option value="assignee" selected>' in notify
    assert "ilman päivitystä yli 24 työtuntia" in notify


@pytest.fixture
def references(make_team, make_user):
    """Rows the params refer to: a team, agents, an organisation, a type, a mailbox."""
    return {
        "team": make_team("Myynti"),
        "agent": make_user(name="Minna Virtanen"),
        "other": make_user(name="Jukka Korhonen"),
        "organisation": Organisation.objects.create(name="Yritys Oy"),
        "type": TicketType.objects.get_or_create(
            slug="complaint", defaults={"name_fi": "Reklamaatio", "name_en": "Complaint"}
        )[0],
        "mailbox": Mailbox.objects.create(address="tuki@yritys.fi"),
        "field": TicketField.objects.create(
            key="product_group",
            label_fi="Tuoteryhmä",
            label_en="Product group",
            kind="choice",
            options=[{"value": "devices", "label_fi": "Laitteet", "label_en": "Devices"}],
        ),
    }


def everything(refs) -> tuple[dict, list]:
    """A definition that uses every condition and action type, a nested group,
    all three sections, per-language and plain texts, lists and nulls."""
    team, agent, other = refs["team"].pk, refs["agent"].pk, refs["other"].pk
    conditions = {
        "all": [
            {"type": "status", "op": "in", "value": ["new", "open"]},
            {"type": "priority", "op": "not_equals", "value": "low"},
            {"type": "type", "op": "equals", "value": "complaint"},
            {"type": "team", "op": "in", "value": [team, None]},
            {"type": "assignee", "op": "equals", "value": None},
            {"type": "channel", "op": "not_in", "value": ["phone", "sms"]},
            {"type": "organisation", "op": "equals", "value": refs["organisation"].pk},
            {"type": "requester_language", "op": "equals", "value": "en"},
            {"type": "mailbox", "op": "equals", "value": "tuki@yritys.fi"},
            {"type": "satisfaction", "value": "bad"},
            {"type": "escalated", "escalated": False},
            {"type": "custom_field", "field": "product_group", "op": "is", "value": "devices"},
            {
                "any": [
                    {"type": "tags", "op": "contains", "tags": ["vip", "yritys"]},
                    {"type": "text", "field": "subject", "op": "word_starts", "value": "lasku"},
                ],
                "none": [{"type": "business_hours", "open": False}],
            },
        ],
        "any": [
            {"type": "hours_since", "since": "created", "op": "less_than", "hours": 1.5},
            {"type": "text", "op": "contains", "value": 'Hätä <kiire> & "pikaisesti"'},
        ],
        "none": [{"type": "tags", "op": "not_contains", "tags": ["spam"]}],
    }
    actions = [
        {"type": "set_status", "status": "open"},
        {"type": "set_priority", "priority": "urgent"},
        {"type": "set_type", "ticket_type": "complaint"},
        {"type": "set_type", "ticket_type": None},
        {"type": "set_team", "team": team},
        {"type": "set_assignee", "assignee": None},
        {"type": "set_assignee", "assignee": agent},
        {"type": "add_tags", "tags": ["vip", "kiire"]},
        {"type": "remove_tags", "tags": ["uusi"]},
        {"type": "add_note", "text": "Rivi 1\n\nRivi 3 {{ ticket.number }}"},
        {
            "type": "email_requester",
            "subject": {"fi": "Kiitos [#{{ ticket.number }}]", "en": "Thanks"},
            "text": {"fi": "Hei {{ requester.first_name }},\nkiitos."},
        },
        {
            "type": "email_agent",
            "agent": other,
            "subject": "Uusi",
            "text": "\nAlkaa rivinvaihdolla",
        },
        {"type": "email_agent", "agent": "assignee", "subject": "S", "text": "T"},
        {"type": "notify", "to": [agent, other], "text": "Katso tämä"},
        {"type": "notify", "to": "team", "text": {"en": "Look"}},
        {"type": "send_survey"},
    ]
    return conditions, actions


def test_every_type_is_covered_by_the_round_trip_rule(references):
    conditions, actions = everything(references)
    validate_rule_definition(
        kind="trigger", events=["ticket_created"], conditions=conditions, actions=actions
    )
    used_conditions = {
        item["type"]
        for item in [*conditions["all"], *conditions["any"], *conditions["none"]]
        + conditions["all"][-1]["any"]
        + conditions["all"][-1]["none"]
        if "type" in item
    }
    assert used_conditions == set(CONDITIONS)
    assert {action["type"] for action in actions} == set(ACTIONS)


def test_a_rule_using_every_type_round_trips_exactly(client, admin_user, references):
    conditions, actions = everything(references)
    trigger = Trigger.objects.create(
        name="Kaikki tyypit",
        active=False,
        events=["sla_breach", "ticket_created", "customer_replied"],
        conditions=copy.deepcopy(conditions),
        actions=copy.deepcopy(actions),
    )
    client.force_login(admin_user)
    data, response = open_and_save(client, "trigger", trigger)
    assert response.status_code == 302, response.content.decode()[:5000]
    trigger.refresh_from_db()
    assert trigger.conditions == conditions
    assert trigger.actions == actions
    assert trigger.events == ["sla_breach", "ticket_created", "customer_replied"]
    assert trigger.active is False
    # The builder's own reading is faithful too (defaults may be spelled out).
    built_conditions, built_actions = RuleBuilder.from_post("trigger", as_query(data)).assemble()
    assert canonical_conditions(built_conditions) == canonical_conditions(conditions)
    assert canonical_actions(built_actions) == canonical_actions(actions)


def test_an_edit_saves_the_change_and_keeps_the_rest(client, admin_user, references):
    conditions, actions = everything(references)
    trigger = Trigger.objects.create(
        name="Kaikki", events=["ticket_created"], conditions=conditions, actions=actions
    )
    client.force_login(admin_user)
    url = reverse("rules:trigger-edit", args=[trigger.pk])
    data = form_data(client.get(url).content.decode(), "rule-form")
    data["a2-priority"] = ["high"]
    data["name"] = ["Kaikki, muokattu"]
    assert client.post(url, data).status_code == 302
    trigger.refresh_from_db()
    assert trigger.name == "Kaikki, muokattu"
    assert trigger.actions[1] == {"type": "set_priority", "priority": "high"}
    assert canonical_actions(trigger.actions[2:]) == canonical_actions(actions[2:])
    assert trigger.conditions == conditions


def test_values_no_longer_offered_are_shown_and_kept(client, admin_user, make_team):
    """A deleted team or agent stays in the rule until the admin changes it."""
    gone = make_team("Lakkautettu")
    gone_id = gone.pk
    gone.delete()
    trigger = Trigger.objects.create(
        name="Vanha tiimi",
        events=["ticket_created"],
        conditions={"all": [{"type": "team", "op": "equals", "value": gone_id}]},
        actions=[{"type": "set_team", "team": gone_id}],
    )
    client.force_login(admin_user)
    body = client.get(reverse("rules:trigger-edit", args=[trigger.pk])).content.decode()
    assert f'<option value="{gone_id}" selected>' in element(body, "row-c1")
    data, response = open_and_save(client, "trigger", trigger)
    assert response.status_code == 302
    trigger.refresh_from_db()
    assert trigger.conditions["all"][0]["value"] == gone_id
    assert trigger.actions == [{"type": "set_team", "team": gone_id}]


def test_items_the_builder_cannot_show_open_as_json_and_are_not_lost(client, admin_user):
    """A stored item of an unknown type is kept as JSON; saving reports it on its row."""
    odd = {"type": "retired_condition", "level": 3}
    trigger = Trigger.objects.create(
        name="Vanha",
        events=["ticket_created"],
        conditions={"all": [{"type": "status", "op": "equals", "value": "new"}, odd]},
        actions=[{"type": "add_tags", "tags": ["x"]}],
    )
    client.force_login(admin_user)
    body = client.get(reverse("rules:trigger-edit", args=[trigger.pk])).content.decode()
    raw = element(body, "row-c2")
    assert 'name="c2-raw"' in raw and "retired_condition" in raw
    data, response = open_and_save(client, "trigger", trigger)
    assert response.status_code == 400
    row = element(response.content.decode(), "row-c2")
    assert "retired_condition" in row and "errorlist" in row
    trigger.refresh_from_db()
    assert trigger.conditions["all"][1] == odd


def test_an_edited_json_row_is_saved(client, admin_user):
    trigger = Trigger.objects.create(
        name="JSON",
        events=["ticket_created"],
        conditions={"all": [{"type": "status", "value": "new", "colour": "red"}]},
        actions=[{"type": "add_tags", "tags": ["x"]}],
    )
    client.force_login(admin_user)
    url = reverse("rules:trigger-edit", args=[trigger.pk])
    data = form_data(client.get(url).content.decode(), "rule-form")
    assert "colour" in data["c1-raw"][0]
    data["c1-raw"] = ['{"type": "status", "value": "open"}']
    assert client.post(url, data).status_code == 302
    trigger.refresh_from_db()
    assert trigger.conditions == {"all": [{"type": "status", "value": "open"}]}


def test_valid_items_an_input_cannot_hold_are_kept_as_json(client, admin_user):
    """A line break in a one-line text, an empty nested group: shown as JSON, saved as they were."""
    conditions = {
        "all": [{"type": "text", "op": "contains", "value": "rivi\ntoinen"}, {"any": []}],
        "any": [{"type": "tags", "tags": ["a\nb"]}],
    }
    trigger = Trigger.objects.create(
        name="Reunat",
        events=["ticket_created"],
        conditions=copy.deepcopy(conditions),
        actions=[{"type": "add_tags", "tags": ["x"]}],
    )
    client.force_login(admin_user)
    body = client.get(reverse("rules:trigger-edit", args=[trigger.pk])).content.decode()
    assert all(f'name="{key}-raw"' in body for key in ("c1", "c2", "c3"))
    _data, response = open_and_save(client, "trigger", trigger)
    assert response.status_code == 302
    trigger.refresh_from_db()
    assert trigger.conditions == conditions
