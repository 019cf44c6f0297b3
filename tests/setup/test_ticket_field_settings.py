"""Settings → Ticket fields: add, edit options, reorder, deactivate, all logged."""

from __future__ import annotations

from django.urls import reverse

from tiski.setup.models import SettingChange
from tiski.tickets import actions
from tiski.tickets.models import TicketField, TicketType, Via

NEW_CHOICE = {
    "label_fi": "Tuoteryhmä",
    "label_en": "Product group",
    "key": "product_group",
    "kind": "choice",
    "options_text": "devices | Laitteet | Devices\nsoftware | Ohjelmistot\n",
    "all_types": "",
    "required_on_solve": "on",
    "customer_visible": "on",
    "active": "on",
}


def test_add_a_choice_field_for_one_type(admin_client):
    complaint = TicketType.objects.get(slug="complaint")
    response = admin_client.post(
        reverse("setup:ticket-field-new"), {**NEW_CHOICE, "ticket_types": [complaint.pk]}
    )
    assert response.status_code == 302
    field = TicketField.objects.get(key="product_group")
    assert field.options == [
        {"value": "devices", "label_fi": "Laitteet", "label_en": "Devices"},
        {"value": "software", "label_fi": "Ohjelmistot", "label_en": "Ohjelmistot"},
    ]
    assert list(field.ticket_types.all()) == [complaint]
    assert not field.all_types and field.required_on_solve and field.customer_visible
    assert SettingChange.objects.get(section="ticket_fields").action == "created"
    listing = admin_client.get(reverse("setup:ticket-fields")).content.decode()
    assert 'data-field="product_group"' in listing and "Complaint" in listing


def test_bad_definitions_are_refused_with_reasons(admin_client):
    url = reverse("setup:ticket-field-new")
    cases = [
        ({"key": "Tuote ryhmä"}, "Start with a letter"),
        ({"options_text": ""}, "A choice field needs at least one option."),
        ({"options_text": "a|b|c|d"}, "Line 1: write value | Finnish label | English label."),
        ({"options_text": "a\nA"}, "Line 2: the value “A” is already an option."),
        ({"all_types": ""}, "Choose the ticket types, or all types."),
        (
            {"customer_visible": "", "required_in_form": "on", "all_types": "on"},
            "Only a field shown to customers can be required there.",
        ),
    ]
    for change, message in cases:
        response = admin_client.post(url, {**NEW_CHOICE, **change})
        assert response.status_code == 400, change
        assert message in response.content.decode(), change
    assert not TicketField.objects.exists()


def test_edit_keeps_key_and_kind_and_refuses_dropping_used_options(
    admin_client, make_field, make_ticket
):
    field = make_field(
        "product_group",
        kind="choice",
        options=[
            {"value": "devices", "label_fi": "Laitteet", "label_en": "Devices"},
            {"value": "software", "label_fi": "Ohjelmistot", "label_en": "Software"},
        ],
    )
    ticket = make_ticket()
    actions.update_ticket(ticket, actor=None, via=Via.API, fields={"product_group": "devices"})
    url = reverse("setup:ticket-field-edit", args=[field.pk])
    post = {**NEW_CHOICE, "all_types": "on", "key": "other", "kind": "text"}
    response = admin_client.post(url, {**post, "options_text": "software | Ohjelmistot"})
    assert response.status_code == 400
    assert "Tickets still use devices" in response.content.decode()
    response = admin_client.post(
        url, {**post, "options_text": "devices | Laitteet ja tarvikkeet | Devices"}
    )
    assert response.status_code == 302
    field.refresh_from_db()
    assert (field.key, field.kind) == ("product_group", "choice")
    assert field.options[0]["label_fi"] == "Laitteet ja tarvikkeet"
    change = SettingChange.objects.get(section="ticket_fields", action="changed")
    assert "options" in change.changes


def test_reorder_and_deactivate(admin_client, make_field):
    first = make_field("a", position=0)
    second = make_field("b", position=1)
    admin_client.post(reverse("setup:ticket-field-move", args=[second.pk]), {"direction": "up"})
    assert list(TicketField.objects.values_list("key", flat=True)) == ["b", "a"]
    response = admin_client.post(
        reverse("setup:ticket-field-edit", args=[first.pk]),
        {"label_fi": "A", "label_en": "A", "all_types": "on"},
    )
    assert response.status_code == 302
    first.refresh_from_db()
    assert not first.active
    assert SettingChange.objects.filter(section="ticket_fields").count() == 2


def test_agents_cannot_open_the_field_settings(agent_session):
    assert agent_session.get(reverse("setup:ticket-fields")).status_code == 403
