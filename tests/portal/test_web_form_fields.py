"""Custom fields in the web form and on the customer's own request."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from tests.portal.test_customer_portal import _signed_in
from tests.portal.test_web_form import _data
from tiski.tickets import actions, custom_fields
from tiski.tickets.models import Ticket, TicketType, Via

PRODUCT_OPTIONS = [
    {"value": "devices", "label_fi": "Laitteet", "label_en": "Devices"},
    {"value": "software", "label_fi": "Ohjelmistot", "label_en": "Software"},
]


@pytest.fixture(autouse=True)
def _fresh_limits(settings):
    cache.clear()
    settings.TISKI_WEB_FORM_MIN_SECONDS = 3
    settings.TISKI_WEB_FORM_PER_HOUR = 50


@pytest.fixture
def fields(make_field):
    complaint = TicketType.objects.get(slug="complaint")
    return {
        "order": make_field("order_number", label_fi="Tilausnumero", customer_visible=True),
        "product": make_field(
            "product_group",
            kind="choice",
            label_fi="Tuoteryhmä",
            options=PRODUCT_OPTIONS,
            types=[complaint],
            customer_visible=True,
            required_in_form=True,
        ),
        "internal": make_field("internal_code", label_fi="Sisäinen koodi"),
        "bought": make_field("bought_on", kind="date", label_fi="Ostopäivä", customer_visible=True),
    }


def test_the_form_shows_the_chosen_types_customer_fields(client, fields):
    plain = client.get("/help/fi/request/").content.decode()
    assert "Tilausnumero" in plain and "Ostopäivä" in plain
    assert "Tuoteryhmä" not in plain and "Sisäinen koodi" not in plain
    complaint = client.get("/help/fi/request/?type=complaint").content.decode()
    assert "Tuoteryhmä" in complaint and "Laitteet" in complaint
    assert 'name="type" value="complaint"' in complaint


def test_values_are_stored_on_the_ticket_with_its_type(client, fields):
    response = client.post(
        "/help/fi/request/",
        _data(
            type="complaint",
            cf_order_number="T-991",
            cf_product_group="software",
            cf_bought_on="2026-11-30",
            cf_internal_code="sneaked in",
        ),
    )
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.type.slug == "complaint"
    assert custom_fields.values_of(ticket) == {
        "order_number": "T-991",
        "product_group": "software",
        "bought_on": "2026-11-30",
    }
    assert ticket.events.filter(field="custom:product_group", via=Via.CHANNEL).exists()


def test_missing_required_and_invalid_values_keep_what_was_typed(client, fields):
    response = client.post(
        "/help/fi/request/",
        _data(type="complaint", cf_order_number="T-991", cf_bought_on="eilen"),
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert not Ticket.objects.exists()
    assert 'value="T-991"' in body  # nothing typed is lost
    assert "Ostopäivä: " in body  # the date's own message names the field
    assert "hc-field-error" in body
    # A made-up type is no type: only the fields of all types are asked.
    response = client.post("/help/fi/request/", _data(type="ei-ole", cf_order_number="X"))
    assert response.status_code == 302
    assert Ticket.objects.get().type is None


def test_portal_shows_customer_visible_values_only(client, fields, make_ticket, make_contact):
    liisa = make_contact(email="liisa@asiakas.example", name="Liisa")
    ticket = make_ticket(subject="Liisan kahvinkeitin", requester=liisa)
    actions.update_ticket(
        ticket,
        actor=None,
        via=Via.API,
        fields={"order_number": "T-5", "internal_code": "SALAINEN-KOODI"},
    )
    _signed_in(client, "liisa@asiakas.example")
    page = client.get(f"/help/fi/portal/requests/{ticket.number}/").content.decode()
    assert "Tilausnumero" in page and "T-5" in page
    assert "SALAINEN-KOODI" not in page
