"""Custom field values through the API: read, create, update, errors, search."""

from __future__ import annotations

import pytest

from tiski.accounts.models import Role
from tiski.tickets import custom_fields
from tiski.tickets.models import Event, Ticket

PRODUCT_OPTIONS = [
    {"value": "devices", "label_fi": "Laitteet", "label_en": "Devices"},
    {"value": "software", "label_fi": "Ohjelmistot", "label_en": "Software"},
]


@pytest.fixture
def fields(make_field):
    make_field("order_number")
    make_field("product_group", kind="choice", options=PRODUCT_OPTIONS, required_on_solve=True)
    make_field("units", kind="number")
    make_field("gift", kind="checkbox")


def test_values_read_as_json_types(api_for, admin_user, make_ticket, fields):
    ticket = make_ticket(
        fields={"order_number": "T-1", "units": "3", "gift": True, "product_group": "devices"}
    )
    body = api_for(admin_user).get(f"/api/v1/tickets/{ticket.number}").json()
    assert body["custom_fields"] == {
        "gift": True,
        "order_number": "T-1",
        "product_group": "devices",
        "units": 3,
    }
    listing = api_for(admin_user).get("/api/v1/tickets", {"fields": "number,custom_fields"})
    assert listing.json()["data"] == [
        {"number": ticket.number, "custom_fields": body["custom_fields"]}
    ]


def test_create_and_update_only_the_keys_given(api_for, admin_user, make_contact, fields):
    api = api_for(admin_user)
    contact = make_contact()
    created = api.post(
        "/api/v1/tickets",
        {
            "subject": "Tilaus",
            "requester_id": contact.pk,
            "custom_fields": {"order_number": "A-1", "units": 2},
        },
    )
    assert created.status_code == 201, created.content
    number = created.json()["number"]
    response = api.patch(
        f"/api/v1/tickets/{number}", {"custom_fields": {"units": None, "gift": True}}
    )
    assert response.status_code == 200, response.content
    assert response.json()["custom_fields"] == {"gift": True, "order_number": "A-1"}
    ticket = Ticket.objects.get(number=number)
    assert Event.objects.filter(ticket=ticket, via="api", field="custom:units").count() == 2


def test_bad_values_and_solving_without_required_fields_are_422(
    api_for, make_user, make_ticket, fields
):
    ticket = make_ticket()
    # The API answers in the token owner's language; these sentences are English.
    api = api_for(make_user(role=Role.ADMIN, language="en"))
    bad = api.patch(
        f"/api/v1/tickets/{ticket.number}",
        {"custom_fields": {"units": "many", "colour": "red"}, "priority": "high"},
    )
    assert bad.status_code == 422
    message = bad.json()["message"]
    assert "Units: enter a whole number." in message
    assert "There is no ticket field “colour”." in message
    ticket.refresh_from_db()
    assert ticket.priority == "normal"
    solve = api.patch(f"/api/v1/tickets/{ticket.number}", {"status": "solved"})
    assert solve.status_code == 422
    assert "Fill in Product group before solving the ticket." in solve.json()["message"]
    solved = api.patch(
        f"/api/v1/tickets/{ticket.number}",
        {"status": "solved", "custom_fields": {"product_group": "software"}},
    )
    assert solved.status_code == 200
    assert custom_fields.values_of(ticket)["product_group"] == "software"


def test_the_query_language_filters_by_field(api_for, admin_user, make_ticket, fields):
    wanted = make_ticket(fields={"product_group": "devices"})
    make_ticket(fields={"product_group": "software"})
    api = api_for(admin_user)
    found = api.get("/api/v1/tickets", {"q": "field:product_group:devices"}).json()["data"]
    assert [t["number"] for t in found] == [wanted.number]
    error = api.get("/api/v1/tickets", {"q": "field:colour:red"})
    assert error.status_code == 400
