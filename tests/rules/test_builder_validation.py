"""Saving from the builder: the server assembles the JSON, validates it, and
shows each problem on the row it concerns, with everything typed kept."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tiski.rules.models import TimeRule, Trigger

from .htmlform import element, form_data

pytestmark = pytest.mark.django_db

NEW_TRIGGER = "/settings/rules/triggers/new/"


@pytest.fixture
def admin_client(client, admin_user):
    admin_user.language = "en"
    admin_user.save()
    client.force_login(admin_user)
    return client


def condition(key: str, type_: str, section: str = "all", parent: str = "root", **params):
    data = {
        f"{key}-node": ["condition"],
        f"{key}-parent": [parent],
        f"{key}-section": [section],
        f"{key}-type": [type_],
    }
    for name, value in params.items():
        data[f"{key}-{name}"] = value if isinstance(value, list) else [value]
    return data


def action(key: str, type_: str, **params):
    data = {f"{key}-node": ["action"], f"{key}-type": [type_]}
    for name, value in params.items():
        data[f"{key}-{name.replace('__', '.')}"] = value if isinstance(value, list) else [value]
    return data


def form(name="Laskutus", events=("ticket_created",), conditions=(), actions=(), **extra):
    data: dict[str, list[str]] = {"name": [name], "active": ["1"], "events": list(events)}
    data["cond"] = [next(iter(c))[: next(iter(c)).index("-")] for c in conditions]
    data["act"] = [next(iter(a))[: next(iter(a)).index("-")] for a in actions]
    for part in (*conditions, *actions):
        data.update(part)
    data.update(extra)
    return data


def test_a_trigger_built_in_the_form_is_saved_as_json(admin_client, admin_user):
    response = admin_client.post(
        NEW_TRIGGER,
        form(
            events=["ticket_created", "customer_replied"],
            conditions=[
                condition("k1", "text", field="subject_or_body", op="contains", value="lasku"),
                condition("k2", "status", section="none", op="in", value=["solved", "closed"]),
            ],
            actions=[
                action("k3", "add_tags", tags=["laskutus", "", " talous "]),
                action("k4", "add_note", text="Rivi\r\ntoinen", text__per_language=[]),
            ],
        ),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    trigger = Trigger.objects.get(name="Laskutus")
    assert trigger.events == ["ticket_created", "customer_replied"]
    assert trigger.conditions == {
        "all": [{"type": "text", "field": "subject_or_body", "op": "contains", "value": "lasku"}],
        "none": [{"type": "status", "op": "in", "value": ["solved", "closed"]}],
    }
    assert trigger.actions == [
        {"type": "add_tags", "tags": ["laskutus", " talous "]},
        {"type": "add_note", "text": "Rivi\ntoinen"},
    ]
    assert trigger.created_by == admin_user and trigger.active


def test_new_rules_go_to_the_end_of_the_order(admin_client):
    Trigger.objects.create(name="Old", position=70, events=["ticket_created"], actions=[{}])
    admin_client.post(NEW_TRIGGER, form(actions=[action("k1", "set_priority", priority="high")]))
    assert Trigger.objects.get(name="Laskutus").position == 80


def test_errors_are_shown_on_their_row_and_the_input_is_kept(admin_client):
    data = form(
        conditions=[
            condition("good", "status", value="open"),
            condition("bad", "hours_since", since="created", op="less_than", hours="kolme"),
            condition("bad2", "text", op="any_word", value="!!"),
        ],
        actions=[
            action("act1", "set_priority", priority="high"),
            action("act2", "add_tags", tags=[""]),
        ],
    )
    response = admin_client.post(NEW_TRIGGER, data)
    assert response.status_code == 400
    assert not Trigger.objects.exists()
    body = response.content.decode()
    assert "The rule was not saved" in body

    good = element(body, "row-good")
    assert "errorlist" not in good and "field-error" not in good
    bad = element(body, "row-bad")
    hours = element(bad, "param-bad-hours")
    assert "enter a number" in hours and 'name="bad-hours" value="kolme"' in hours
    assert "enter a number" not in element(bad, "param-bad-since")
    assert '<option value="less_than" selected>' in bad
    assert "give at least one word" in element(body, "row-bad2")
    assert 'value="!!"' in element(body, "row-bad2")

    assert "field-error" not in element(body, "row-act1")
    tags = element(body, "row-act2")
    assert "give at least 1 value" in tags

    # Everything else the admin typed is still there, ready to post again.
    again = form_data(body, "rule-form")
    assert again["name"] == ["Laskutus"] and again["events"] == ["ticket_created"]
    assert again["cond"] == ["good", "bad", "bad2"] and again["act"] == ["act1", "act2"]
    assert again["good-value"] == ["open"] and again["act1-priority"] == ["high"]


def test_errors_in_a_nested_group_land_on_the_nested_row(admin_client):
    data = form(
        conditions=[
            {"grp-node": ["group"], "grp-parent": ["root"], "grp-section": ["all"]},
            condition("inner", "tags", section="any", parent="grp", op="contains", tags=[""]),
            condition("inner2", "priority", section="any", parent="grp", value="urgent"),
        ],
        actions=[action("a", "set_status", status="open")],
    )
    response = admin_client.post(NEW_TRIGGER, data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "give at least 1 value" in element(body, "row-inner")
    assert "field-error" not in element(body, "row-inner2")
    # The nested rows stay inside their group, in their section.
    group = element(body, "row-grp")
    assert 'id="row-inner"' in group and 'name="inner-section" value="any"' in group


def test_the_whole_nested_group_is_saved(admin_client):
    data = form(
        conditions=[
            condition("first", "status", op="equals", value="new"),
            {"grp-node": ["group"], "grp-parent": ["root"], "grp-section": ["all"]},
            condition("in1", "priority", section="any", parent="grp", op="equals", value="urgent"),
            condition("in2", "tags", section="any", parent="grp", op="contains", tags=["vip"]),
        ],
        actions=[action("a", "set_status", status="open")],
    )
    assert admin_client.post(NEW_TRIGGER, data).status_code == 302
    assert Trigger.objects.get().conditions == {
        "all": [
            {"type": "status", "op": "equals", "value": "new"},
            {
                "any": [
                    {"type": "priority", "op": "equals", "value": "urgent"},
                    {"type": "tags", "op": "contains", "tags": ["vip"]},
                ]
            },
        ]
    }


def test_rows_without_a_type_and_empty_groups_are_named(admin_client):
    data = form(
        conditions=[
            {"grp-node": ["group"], "grp-parent": ["root"], "grp-section": ["none"]},
            condition("blank", ""),
        ],
        actions=[action("noact", "")],
    )
    response = admin_client.post(NEW_TRIGGER, data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "Choose a condition." in element(body, "row-blank")
    assert "an object with a type" not in body
    assert "This group is empty" in element(body, "row-grp")
    assert "Choose an action." in element(body, "row-noact")
    assert not Trigger.objects.exists()


def test_name_events_and_actions_are_required(admin_client):
    response = admin_client.post(NEW_TRIGGER, form(name="", events=[]))
    assert response.status_code == 400
    body = response.content.decode()
    events = element(body, "events")
    assert "choose at least one event" in events
    name_error = re.search(r'name="name".*?<p class="field-error">(.*?)</p>', body, re.S)
    assert name_error and "blank" in name_error.group(1)
    assert "at least one action" in element(body, "actions")
    # One message per problem: the registry's, not also the model field's.
    assert "cannot be blank" not in events and "cannot be blank" not in element(body, "actions")


def test_a_time_rule_without_a_time_condition_is_refused(admin_client):
    response = admin_client.post(
        "/settings/rules/time-rules/new/",
        form(
            name="Ei aikaa",
            events=[],
            conditions=[condition("c", "status", value="pending")],
            actions=[action("a", "set_status", status="solved")],
        ),
    )
    assert response.status_code == 400
    assert "needs at least one time condition" in element(response.content.decode(), "conditions")
    assert not TimeRule.objects.filter(name="Ei aikaa").exists()


def test_a_failed_edit_leaves_the_stored_rule_alone(admin_client):
    rule = TimeRule.objects.order_by("position").first()
    before = (rule.name, rule.conditions, rule.actions)
    url = reverse("rules:time-edit", args=[rule.pk])
    data = form_data(admin_client.get(url).content.decode(), "rule-form")
    data["c2-hours"] = ["-5"]
    data["name"] = ["Muutettu"]
    response = admin_client.post(url, data)
    assert response.status_code == 400
    assert "must be more than 0" in element(response.content.decode(), "row-c2")
    rule.refresh_from_db()
    assert (rule.name, rule.conditions, rule.actions) == before


def test_per_language_texts_are_checked_as_templates(admin_client):
    data = form(
        actions=[
            action(
                "note",
                "add_note",
                text__per_language="1",
                **{"text__fi": "Hei {{ settings.SECRET_KEY }}", "text__en": ""},
            )
        ]
    )
    response = admin_client.post(NEW_TRIGGER, data)
    assert response.status_code == 400
    note = element(response.content.decode(), "row-note")
    assert "unknown placeholders" in note
    assert "Hei {{ settings.SECRET_KEY }}" in note
