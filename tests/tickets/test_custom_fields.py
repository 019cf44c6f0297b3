"""Custom ticket fields: every kind validated in one place, every change an event."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from tiski.tickets import actions, custom_fields
from tiski.tickets.models import Status, TicketFieldValue, TicketType, Via

PRODUCT_OPTIONS = [
    {"value": "devices", "label_fi": "Laitteet", "label_en": "Devices"},
    {"value": "software", "label_fi": "Ohjelmistot", "label_en": "Software"},
]


@pytest.mark.parametrize(
    ("kind", "raw", "stored"),
    [
        ("text", "  T-1234 ", "T-1234"),
        ("long_text", "rivi 1\nrivi 2", "rivi 1\nrivi 2"),
        ("number", "1 200", "1200"),
        ("number", 7, "7"),
        ("decimal", "12,50", "12.50"),
        ("decimal", "0.5", "0.5"),
        ("date", "31.12.2026", "2026-12-31"),
        ("date", "2026-02-03", "2026-02-03"),
        ("choice", "software", "software"),
        ("choice", "Laitteet", "devices"),
        ("checkbox", True, "true"),
        ("checkbox", "kyllä", "true"),
        ("checkbox", "", ""),
        ("checkbox", False, ""),
        ("text", "", ""),
        ("number", None, ""),
    ],
)
def test_valid_values_are_stored_in_canonical_form(make_field, kind, raw, stored):
    field = make_field(kind=kind, options=PRODUCT_OPTIONS if kind == "choice" else [])
    assert custom_fields.clean_value(field, raw) == stored


@pytest.mark.parametrize(
    ("kind", "raw"),
    [
        ("text", "x" * 256),
        ("long_text", "x" * 5001),
        ("number", "12,5"),
        ("number", "kaksi"),
        ("decimal", "12,5,0"),
        ("decimal", "Infinity"),
        ("date", "31.2.2026"),
        ("date", "huomenna"),
        ("choice", "hardware"),
        ("checkbox", "maybe"),
    ],
)
def test_invalid_values_are_refused_naming_the_field(make_field, kind, raw):
    field = make_field(kind=kind, label_en="Order number", options=PRODUCT_OPTIONS)
    with translation.override("en"), pytest.raises(ValidationError) as error:
        custom_fields.clean_value(field, raw)
    assert error.value.messages[0].startswith("Order number: ")


def test_update_writes_values_and_one_event_per_changed_value(make_ticket, make_field, make_user):
    agent = make_user()
    make_field("order_number")
    make_field("product", kind="choice", options=PRODUCT_OPTIONS)
    ticket = make_ticket()
    actions.update_ticket(
        ticket, actor=agent, via=Via.AGENT, fields={"order_number": "A-1", "product": "devices"}
    )
    assert custom_fields.values_of(ticket) == {"order_number": "A-1", "product": "devices"}
    actions.update_ticket(
        ticket, actor=agent, via=Via.AGENT, fields={"order_number": "A-1", "product": "software"}
    )
    events = list(ticket.events.filter(field__startswith="custom:").order_by("pk"))
    assert [(e.field, e.old_value, e.new_value) for e in events] == [
        ("custom:order_number", "", "A-1"),
        ("custom:product", "", "devices"),
        ("custom:product", "devices", "software"),
    ]
    actions.update_ticket(ticket, actor=agent, via=Via.AGENT, fields={"order_number": ""})
    assert custom_fields.values_of(ticket) == {"product": "software"}
    assert ticket.events.filter(field="custom:order_number").count() == 2


def test_a_bad_value_changes_nothing(make_ticket, make_field, make_user):
    make_field("order_number")
    make_field("amount", kind="number")
    ticket = make_ticket()
    with pytest.raises(ValidationError):
        actions.update_ticket(
            ticket,
            actor=make_user(),
            via=Via.AGENT,
            priority="high",
            fields={"order_number": "A-1", "amount": "paljon"},
        )
    ticket.refresh_from_db()
    assert ticket.priority == "normal"
    assert not TicketFieldValue.objects.exists()


def test_unknown_and_inactive_fields_are_refused(make_ticket, make_field, make_user):
    make_field("old", active=False)
    ticket = make_ticket()
    with translation.override("en"), pytest.raises(ValidationError) as error:
        actions.update_ticket(
            ticket, actor=make_user(), via=Via.API, fields={"nope": "1", "old": "x"}
        )
    assert error.value.messages == [
        "There is no ticket field “nope”.",
        "The ticket field Old is no longer in use.",
    ]


def test_create_ticket_takes_field_values(make_ticket, make_field):
    make_field("order_number")
    ticket = make_ticket(fields={"order_number": "B-2"})
    assert custom_fields.values_of(ticket) == {"order_number": "B-2"}
    assert ticket.events.filter(field="custom:order_number", new_value="B-2").exists()


def test_agents_fill_in_required_fields_before_solving(make_ticket, make_field, make_user):
    complaint = TicketType.objects.get(slug="complaint")  # a default type
    make_field(
        "product", kind="choice", options=PRODUCT_OPTIONS, types=[complaint], required_on_solve=True
    )
    agent = make_user()
    other = make_ticket()
    actions.update_ticket(other, actor=agent, via=Via.AGENT, status=Status.SOLVED)  # not its type
    ticket = make_ticket(type=complaint)
    with translation.override("en"), pytest.raises(ValidationError) as error:
        actions.update_ticket(ticket, actor=agent, via=Via.AGENT, status=Status.SOLVED)
    assert error.value.messages == ["Fill in Product before solving the ticket."]
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW
    # Filled in the same save, it solves.
    actions.update_ticket(
        ticket, actor=agent, via=Via.AGENT, status=Status.SOLVED, fields={"product": "devices"}
    )
    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED


def test_rules_solve_without_required_fields(make_ticket, make_field):
    make_field("order_number", required_on_solve=True)
    ticket = make_ticket()
    actions.update_ticket(ticket, actor=None, via=Via.RULE, status=Status.SOLVED)
    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED


def test_fields_for_a_type_in_order(make_field):
    quote = TicketType.objects.create(slug="q-x", name_fi="Tarjous", name_en="Quote")
    other = TicketType.objects.create(slug="o-x", name_fi="Muu", name_en="Other")
    b = make_field("b", position=2)
    a = make_field("a", position=1, types=[quote])
    make_field("c", position=0, types=[other])
    make_field("d", position=0, active=False)
    assert custom_fields.fields_for(quote.pk) == [a, b]
    assert custom_fields.fields_for(None) == [b]


def test_a_bulk_solve_skips_tickets_missing_required_fields(make_ticket, make_field, make_user):
    make_field("product", kind="choice", options=PRODUCT_OPTIONS, required_on_solve=True)
    agent = make_user()
    filled = make_ticket(fields={"product": "devices"})
    empty = make_ticket()
    with translation.override("en"):
        record = actions.bulk_update_tickets(
            [filled, empty], actor=agent, via=Via.AGENT, fields={"status": Status.SOLVED}
        )
    filled.refresh_from_db()
    empty.refresh_from_db()
    assert (filled.status, empty.status) == (Status.SOLVED, Status.NEW)
    assert record.skipped == {
        str(empty.pk): f"Ticket #{empty.number}: Fill in Product before solving the ticket."
    }


def test_a_nul_byte_in_a_value_is_dropped_so_the_ticket_can_be_stored(make_ticket, make_field):
    """PostgreSQL refuses NUL in text; a stray one from a form or an import is dropped."""
    make_field("order_number")
    ticket = make_ticket(fields={"order_number": "PM-\x0012"})
    assert custom_fields.values_of(ticket) == {"order_number": "PM-12"}
