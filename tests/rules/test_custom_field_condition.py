"""The rule condition "custom field … is / is not / contains / is empty"."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from tiski.rules import engine
from tiski.rules.facts import build_facts
from tiski.rules.field_types import CustomField
from tiski.rules.models import Trigger
from tiski.rules.registry import compile_conditions
from tiski.tickets import actions
from tiski.tickets.models import Ticket, Via

from .helpers import CALENDAR, NOW, fires, make_facts

PRODUCT_OPTIONS = [
    {"value": "devices", "label_fi": "Laitteet", "label_en": "Devices"},
    {"value": "software", "label_fi": "Ohjelmistot", "label_en": "Software"},
]


@pytest.fixture
def fields(make_field):
    make_field("product_group", kind="choice", options=PRODUCT_OPTIONS)
    make_field("order_number")
    make_field("bought_on", kind="date")


def when(**condition) -> dict:
    return {"all": [{"type": "custom_field", **condition}]}


def fires_on_ticket(rule: dict, ticket) -> bool:
    group = compile_conditions(rule)
    return group.matches(build_facts(ticket, loaders=group.loaders))


def facts_with(**values: str):
    return make_facts(loaded={"custom_field": values})


def test_is_is_not_contains_and_empty(fields):
    devices = facts_with(product_group="devices", order_number="AB-123")
    nothing = facts_with()
    assert fires(when(field="product_group", op="is", value="devices"), devices)
    # A label is the option it names.
    assert fires(when(field="product_group", op="is", value="Laitteet"), devices)
    assert not fires(when(field="product_group", op="is", value="software"), devices)
    assert fires(when(field="product_group", op="is_not", value="software"), devices)
    assert fires(when(field="product_group", op="is_not", value="software"), nothing)
    assert fires(when(field="order_number", op="contains", value="b-1"), devices)
    assert not fires(when(field="order_number", op="contains", value="x"), nothing)
    assert fires(when(field="order_number", op="empty"), nothing)
    assert not fires(when(field="order_number", op="empty"), devices)
    assert fires(when(field="order_number", op="not_empty"), devices)


def test_values_are_cleaned_as_the_field_cleans_them(fields):
    condition = CustomField(field="bought_on", op="is", value="30.11.2026")
    assert condition.value == "2026-11-30"
    assert fires(
        when(field="bought_on", op="is", value="30.11.2026"), facts_with(bought_on="2026-11-30")
    )


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"field": "colour", "value": "red"}, "there is no ticket field"),
        ({"field": "product_group", "value": "hardware"}, "is not one of the options"),
        ({"field": "bought_on", "value": "eilen"}, "enter a date"),
        ({"field": "order_number", "value": " "}, "give a value"),
    ],
)
def test_bad_parameters_are_refused_on_save(fields, params, message):
    with pytest.raises(ValidationError, match=message):
        CustomField(**params)


def test_a_trigger_answers_a_field_set_in_the_desk(
    fields, make_ticket, make_user, django_capture_on_commit_callbacks
):
    """Changing a custom field is a "field changed" event the condition reads."""
    engine._compiled.clear()
    Trigger.objects.create(
        name="Laitteet tiimille",
        events=["field_changed"],
        conditions=when(field="product_group", op="is", value="devices"),
        actions=[{"type": "add_tags", "tags": ["laitteet"]}],
    )
    ticket = make_ticket()
    assert not fires_on_ticket(when(field="product_group", op="is", value="devices"), ticket)
    with django_capture_on_commit_callbacks(execute=True):
        actions.update_ticket(
            ticket, actor=make_user(), via=Via.AGENT, fields={"product_group": "devices"}
        )
    assert fires_on_ticket(when(field="product_group", op="is", value="devices"), ticket)
    assert set(ticket.tags.values_list("name", flat=True)) == {"laitteet"}


def test_time_rules_narrow_tickets_in_the_database(fields, make_ticket):
    devices, software, nothing = make_ticket(), make_ticket(), make_ticket()
    for ticket, value in ((devices, "devices"), (software, "software")):
        actions.update_ticket(ticket, actor=None, via=Via.API, fields={"product_group": value})

    def narrowed(**params) -> set[int]:
        q, exact = CustomField(field="product_group", **params).to_q(NOW, CALENDAR)
        assert exact or params["op"] == "contains"
        return set(Ticket.objects.filter(q).values_list("pk", flat=True))

    assert narrowed(op="is", value="Laitteet") == {devices.pk}
    assert narrowed(op="is_not", value="devices") == {software.pk, nothing.pk}
    assert narrowed(op="empty") == {nothing.pk}
    assert narrowed(op="not_empty") == {devices.pk, software.pk}
    assert narrowed(op="contains", value="soft") >= {software.pk}
