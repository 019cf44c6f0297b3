"""field:<key>:<value> (kenttä: in Finnish) finds tickets by custom field values."""

from __future__ import annotations

import pytest

from tiski.accounts.models import Role
from tiski.search.query import QueryError, parse
from tiski.search.service import search_tickets
from tiski.tickets import actions
from tiski.tickets.models import Via

PRODUCT_OPTIONS = [
    {"value": "devices", "label_fi": "Laitteet", "label_en": "Devices"},
    {"value": "software", "label_fi": "Ohjelmistot", "label_en": "Software"},
]


def test_the_parser_keeps_field_filters_by_key():
    parsed = parse(
        'kenttä:Product_group:devices,Laitteet -field:order_number:none field:note:"a b"'
    )
    assert parsed.filters == {
        "field:product_group": ("devices", "Laitteet"),
        "field:note": ("a b",),
    }
    assert parsed.excluded_filters == {"field:order_number": ("none",)}


@pytest.mark.parametrize("query", ["field:", "field:product_group", "kenttä:product_group:"])
def test_a_field_filter_without_a_value_is_explained(query):
    with pytest.raises(QueryError, match="field:value"):
        parse(query)


@pytest.fixture
def tickets(make_ticket, make_field, make_user):
    make_field("product_group", kind="choice", options=PRODUCT_OPTIONS)
    make_field("bought_on", kind="date")
    make_field("order_number")
    made = {
        "devices": make_ticket(subject="Rikkinäinen laite"),
        "software": make_ticket(subject="Ohjelma kaatuu"),
        "nothing": make_ticket(subject="Kysymys"),
    }
    actions.update_ticket(
        made["devices"],
        actor=None,
        via=Via.API,
        fields={"product_group": "devices", "bought_on": "2026-11-30", "order_number": "AB-1"},
    )
    actions.update_ticket(
        made["software"], actor=None, via=Via.API, fields={"product_group": "software"}
    )
    return made


def found(user, query: str) -> set[str]:
    results = search_tickets(user, query)
    assert not results.error, results.error
    return {hit.ticket.subject for hit in results.hits}


def test_search_by_value_label_date_and_emptiness(make_user, tickets):
    admin = make_user(role=Role.ADMIN)
    assert found(admin, "field:product_group:devices") == {"Rikkinäinen laite"}
    assert found(admin, "kenttä:product_group:Ohjelmistot") == {"Ohjelma kaatuu"}
    assert found(admin, "field:product_group:devices,software") == {
        "Rikkinäinen laite",
        "Ohjelma kaatuu",
    }
    assert found(admin, "field:bought_on:30.11.2026") == {"Rikkinäinen laite"}
    assert found(admin, "field:order_number:ab-1") == {"Rikkinäinen laite"}
    assert found(admin, "field:product_group:none") == {"Kysymys"}
    assert found(admin, "-field:product_group:devices status:new") == {
        "Ohjelma kaatuu",
        "Kysymys",
    }


def test_unknown_field_or_impossible_value_is_a_clear_error(make_user, tickets):
    admin = make_user(role=Role.ADMIN, language="en")
    assert search_tickets(admin, "field:colour:red").error == "There is no ticket field “colour”."
    error = search_tickets(admin, "field:bought_on:yesterday").error
    assert "enter a date" in error


def test_field_filters_stay_within_what_the_agent_may_see(make_user, make_team, tickets):
    secret = make_team("Salainen", restricted=True)
    actions.update_ticket(tickets["devices"], actor=None, via=Via.API, team=secret)
    outsider = make_user(role=Role.AGENT)
    assert found(outsider, "field:product_group:devices") == set()
