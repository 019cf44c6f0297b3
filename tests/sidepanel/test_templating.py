"""URL templates: every value URL-encoded whole, unknown placeholders refused."""

from __future__ import annotations

import pytest

from tiski.sidepanel import templating


def test_values_are_encoded_so_they_cannot_reshape_the_url():
    url = templating.render(
        "https://crm.example/customers?email={{requester.email}}&org={{ organisation.name }}",
        {"requester.email": "maija+tilaus@example.fi", "organisation.name": "Kahvi & Kakku Oy/ab"},
    )
    assert url == (
        "https://crm.example/customers?email=maija%2Btilaus%40example.fi"
        "&org=Kahvi%20%26%20Kakku%20Oy%2Fab"
    )


def test_missing_values_are_empty():
    assert (
        templating.render(
            "https://x.example/{{ticket.number}}/{{requester.phone}}", {"ticket.number": "1001"}
        )
        == "https://x.example/1001/"
    )


@pytest.mark.parametrize(
    "template",
    ["https://x.example/?q={{requester.salary}}", "javascript:alert(1)//{{ticket.number}}", "/x"],
)
def test_bad_templates_are_refused(template):
    with pytest.raises(templating.TemplateError):
        templating.check(template)


def test_ticket_values(make_ticket, make_contact):
    from tiski.customers.models import Identity, Organisation

    contact = make_contact(email="pekka@example.fi", name="Pekka Puu")
    contact.organisation = Organisation.objects.create(name="Puu Oy")
    contact.save()
    Identity.objects.create(contact=contact, kind="phone", value="+358401234567")
    ticket = make_ticket(requester=contact)
    values = templating.ticket_values(ticket)
    assert values["requester.email"] == "pekka@example.fi"
    assert values["requester.phone"] == "+358401234567"
    assert values["organisation.name"] == "Puu Oy"
    assert values["ticket.number"] == str(ticket.number)
