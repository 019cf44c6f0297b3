"""The builder's rows: the htmx partial that gives a row the inputs of its type."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tiski.accounts.models import Role
from tiski.tickets.models import TicketType

from .htmlform import form_data

pytestmark = pytest.mark.django_db

ROW_URL = "/settings/rules/builder/row/"


@pytest.fixture
def admin_client(client, admin_user):
    admin_user.language = "en"
    admin_user.save()
    client.force_login(admin_user)
    return client


def row(client, **params) -> str:
    response = client.get(ROW_URL, params, HTTP_HX_REQUEST="true")
    assert response.status_code == 200, response.content
    return response.content.decode()


def names(html: str) -> set[str]:
    return set(re.findall(r'name="([^"]+)"', html))


def options(html: str, name: str) -> list[str]:
    """The option values of the select called `name`."""
    found = re.search(rf'<select[^>]*name="{re.escape(name)}"[^>]*>(.*?)</select>', html, re.S)
    assert found, f"no select {name}"
    return re.findall(r'<option value="([^"]*)"', found.group(1))


def test_url_is_where_the_templates_point():
    assert reverse("rules:builder-row") == ROW_URL


def test_a_new_condition_row_has_a_key_and_its_place(admin_client):
    html = row(admin_client, part="condition", parent="root", section="any")
    key = re.search(r'name="cond" value="([a-z0-9]+)"', html).group(1)
    assert f'name="{key}-section" value="any"' in html
    assert f'name="{key}-parent" value="root"' in html
    # No type yet: only the type select, listing every registered condition.
    assert names(html) == {"cond", f"{key}-node", f"{key}-parent", f"{key}-section", f"{key}-type"}
    assert {"status", "text", "hours_since", "tags"} <= set(options(html, f"{key}-type"))
    another = row(admin_client, part="condition", parent="root", section="any")
    assert f'value="{key}"' not in another


def test_choosing_a_type_swaps_in_its_inputs(admin_client):
    html = row(admin_client, part="condition", key="abc", reset="1", **{"abc-type": "tags"})
    assert {"abc-op", "abc-tags"} <= names(html) and "abc-value" not in names(html)
    assert options(html, "abc-op") == ["contains", "not_contains"]
    assert "include all of" in html

    html = row(admin_client, part="condition", key="abc", reset="1", **{"abc-type": "hours_since"})
    assert options(html, "abc-since") == [
        "",
        "created",
        "updated",
        "last_customer_message",
        "status_changed",
    ]
    assert re.search(r'<input type="number"[^>]*name="abc-hours"', html)
    assert options(html, "abc-business") == ["true", "false"]
    assert '<option value="false" selected>' in html  # the default: all hours


def test_changing_the_type_drops_the_old_inputs(admin_client):
    html = row(
        admin_client,
        part="condition",
        key="abc",
        reset="1",
        **{"abc-type": "priority", "abc-op": "in", "abc-value": "new"},
    )
    # The status values do not carry over to priority, and the comparison is the default.
    assert '<option value="equals" selected>' in html
    assert options(html, "abc-value") == ["", "low", "normal", "high", "urgent"]


def test_references_are_selects_fed_from_the_database(admin_client, make_team, make_user):
    team = make_team("Laskutus")
    agent = make_user(name="Minna Virtanen")
    TicketType.objects.get_or_create(
        slug="order", defaults={"name_fi": "Tilaus", "name_en": "Order"}
    )
    html = row(admin_client, part="condition", key="abc", reset="1", **{"abc-type": "team"})
    assert str(team.pk) in options(html, "abc-value") and "Laskutus" in html
    assert "__none__" in options(html, "abc-value") and "No team" in html

    html = row(admin_client, part="action", key="def", reset="1", **{"def-type": "set_assignee"})
    assert str(agent.pk) in options(html, "def-assignee") and "Minna Virtanen" in html
    assert "Nobody (unassigned)" in html

    html = row(admin_client, part="action", key="ghi", reset="1", **{"ghi-type": "set_type"})
    assert "order" in options(html, "ghi-ticket_type") and "Order" in html

    html = row(admin_client, part="action", key="jkl", reset="1", **{"jkl-type": "notify"})
    assert options(html, "jkl-to") == ["assignee", "team", "__list__"]
    assert f'name="jkl-to.list" value="{agent.pk}"' in html

    html = row(admin_client, part="action", key="mno", reset="1", **{"mno-type": "email_agent"})
    agents = options(html, "mno-agent")
    assert agents[0] == "assignee" and str(agent.pk) in agents
    assert {"mno-subject", "mno-subject.fi", "mno-text.en", "mno-text.per_language"} <= names(html)


def test_one_value_or_many_follows_the_comparison(admin_client):
    """Switching "is" to "is one of" re-renders the row and keeps the value."""
    single = row(
        admin_client,
        part="condition",
        key="abc",
        **{"abc-type": "status", "abc-op": "equals", "abc-value": "open"},
    )
    assert '<option value="open" selected>' in single
    assert 'hx-get="/settings/rules/builder/row/?part=condition&amp;key=abc"' in single
    many = row(
        admin_client,
        part="condition",
        key="abc",
        **{"abc-type": "status", "abc-op": "in", "abc-value": "open"},
    )
    assert '<option value="in" selected>' in many
    assert '<input type="checkbox" name="abc-value" value="open" checked>' in many
    assert '<input type="checkbox" name="abc-value" value="new">' in many


def test_a_rerendered_row_keeps_what_was_typed(admin_client):
    html = row(
        admin_client,
        part="condition",
        key="abc",
        **{"abc-type": "text", "abc-op": "any_word", "abc-value": "lasku & <kuitti>"},
    )
    data = form_data(f'<form id="f">{html}</form>', "f")
    assert data["abc-value"] == ["lasku & <kuitti>"]
    assert data["abc-op"] == ["any_word"]


def test_groups_nest_one_level(admin_client):
    html = row(admin_client, part="group", parent="root", section="none")
    key = re.search(r'name="cond" value="([a-z0-9]+)"', html).group(1)
    assert f'name="{key}-node" value="group"' in html
    assert f"parent={key}&amp;section=any" in html  # its own "add condition" buttons
    assert "part=group" not in html  # no third level
    response = admin_client.get(ROW_URL, {"part": "group", "parent": key, "section": "all"})
    assert response.status_code == 400


def test_bad_requests_are_refused(admin_client):
    assert admin_client.get(ROW_URL, {"part": "condition", "key": 'X"><'}).status_code == 400
    assert admin_client.get(ROW_URL, {"part": "trigger"}).status_code == 400
    assert admin_client.get(ROW_URL, {"part": "condition", "section": "some"}).status_code == 400


def test_agents_cannot_fetch_rows(client, make_user):
    client.force_login(make_user(role=Role.AGENT))
    assert client.get(ROW_URL, {"part": "condition"}).status_code == 403
