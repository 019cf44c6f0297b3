"""The builder names values the way the desk does (#13): priority labels as
admins renamed them in Settings, ticket types by their current names."""

from __future__ import annotations

import re

import pytest

from tiski.tickets.models import PriorityLabel, TicketType

pytestmark = pytest.mark.django_db

ROW_URL = "/settings/rules/builder/row/"


@pytest.fixture
def admin_client(client, admin_user):
    admin_user.language = "en"
    admin_user.save()
    client.force_login(admin_user)
    return client


def row(client, part: str, type_name: str, **values) -> str:
    params = {"part": part, "key": "k1", "k1-type": type_name, **values}
    response = client.get(ROW_URL, params, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return response.content.decode()


def option_label(html: str, value: str) -> str:
    found = re.search(rf'<option value="{value}"[^>]*>([^<]*)</option>', html)
    if found is None:
        found = re.search(rf'value="{value}"[^>]*> ([^<]*)</label>', html)  # a checkbox
    assert found, f"no option {value}"
    return found.group(1)


def test_priorities_show_the_desks_own_labels(admin_client):
    PriorityLabel.objects.create(priority="urgent", language="en", label="P1 – drop everything")
    PriorityLabel.objects.create(priority="urgent", language="fi", label="P1 – heti")
    condition = row(admin_client, "condition", "priority", **{"k1-op": "equals"})
    assert option_label(condition, "urgent") == "P1 – drop everything"
    assert option_label(condition, "low") == "Low"  # no override: the built-in name
    many = row(admin_client, "condition", "priority", **{"k1-op": "in"})
    assert option_label(many, "urgent") == "P1 – drop everything"
    action = row(admin_client, "action", "set_priority")
    assert option_label(action, "urgent") == "P1 – drop everything"


def test_a_stored_priority_reads_back_whatever_its_label(admin_client, admin_user):
    """Labels only change what is shown: the rule still stores "urgent"."""
    from tiski.rules.builder import RuleBuilder
    from tiski.rules.models import Trigger

    PriorityLabel.objects.create(priority="urgent", language="en", label="P1")
    rule = Trigger(
        name="Kiire",
        events=["ticket_created"],
        conditions={"all": [{"type": "priority", "op": "equals", "value": "urgent"}]},
        actions=[{"type": "set_priority", "priority": "urgent"}],
    )
    builder = RuleBuilder.from_rule("trigger", rule).prepare()
    assert builder.assemble() == (rule.conditions, rule.actions)
    [condition] = builder.root.sections["all"]
    value = next(p for p in condition.params if p.name == "value")
    assert [o.label for o in value.options if o.selected] == ["P1"]


def test_ticket_types_show_their_current_names(admin_client):
    kind = TicketType.objects.create(slug="warranty", name_fi="Takuu", name_en="Warranty claim")
    html = row(admin_client, "action", "set_type")
    assert option_label(html, kind.slug) == "Warranty claim"
    kind.name_en = "Guarantee"
    kind.save()
    html = row(admin_client, "condition", "type", **{"k1-op": "equals"})
    assert option_label(html, kind.slug) == "Guarantee"
