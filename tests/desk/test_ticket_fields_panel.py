"""The side panel's custom fields: the type's fields, saved with the rest in one
change, required to solve, and never emptied because a page did not show them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tiski.tickets import actions, custom_fields
from tiski.tickets.models import Status, TicketType, Via


@pytest.fixture
def agent_client(client, make_user):
    agent = make_user(name="Minna Virtanen", email="minna@yritys.fi", language="en")
    client.force_login(agent)
    return client


OPTIONS = [{"value": "devices", "label_fi": "Laitteet", "label_en": "Devices"}]


@pytest.fixture
def complaint_ticket(make_ticket, make_field):
    complaint = TicketType.objects.get(slug="complaint")
    make_field("order_number", label_fi="Tilausnumero")
    make_field(
        "product_group",
        kind="choice",
        label_fi="Tuoteryhmä",
        options=OPTIONS,
        types=[complaint],
        required_on_solve=True,
    )
    make_field("quote_ref", label_fi="Tarjousviite", types=[TicketType.objects.get(slug="lead")])
    return make_ticket(type=complaint)


def post(client, ticket, **fields):
    data = {
        "status": ticket.status,
        "priority": ticket.priority,
        "type": ticket.type_id or "",
        "assignee": "",
        "team": "",
        "tags": "",
        **fields,
    }
    return client.post(
        reverse("desk:ticket-update", args=[ticket.number]), data, HTTP_HX_REQUEST="true"
    )


def test_the_panel_shows_the_types_fields_with_their_values(agent_client, complaint_ticket):
    actions.update_ticket(
        complaint_ticket, actor=None, via=Via.API, fields={"order_number": "PM-1"}
    )
    page = agent_client.get(complaint_ticket.get_absolute_url()).content.decode()
    assert 'name="cf_order_number"' in page and 'value="PM-1"' in page
    assert 'name="cf_product_group"' in page
    assert "cf_quote_ref" not in page
    assert 'name="custom_shown" value="order_number,product_group"' in page


def test_saving_values_with_the_status_and_required_to_solve(agent_client, complaint_ticket):
    shown = "order_number,product_group"
    refused = post(
        agent_client,
        complaint_ticket,
        status="solved",
        cf_order_number="PM-2",
        custom_shown=shown,
    )
    assert refused.status_code == 400
    assert "Fill in Product group before solving the ticket." in refused.content.decode()
    assert custom_fields.values_of(complaint_ticket) == {}
    saved = post(
        agent_client,
        complaint_ticket,
        status="solved",
        cf_order_number="PM-2",
        cf_product_group="devices",
        custom_shown=shown,
    )
    assert saved.status_code == 200
    complaint_ticket.refresh_from_db()
    assert complaint_ticket.status == Status.SOLVED
    assert custom_fields.values_of(complaint_ticket) == {
        "order_number": "PM-2",
        "product_group": "devices",
    }


def test_a_field_the_page_did_not_show_is_left_alone(agent_client, complaint_ticket):
    actions.update_ticket(
        complaint_ticket, actor=None, via=Via.API, fields={"product_group": "devices"}
    )
    # A page drawn before the ticket became a complaint showed the order number only.
    response = post(
        agent_client, complaint_ticket, cf_order_number="PM-3", custom_shown="order_number"
    )
    assert response.status_code == 200
    assert custom_fields.values_of(complaint_ticket) == {
        "order_number": "PM-3",
        "product_group": "devices",
    }
