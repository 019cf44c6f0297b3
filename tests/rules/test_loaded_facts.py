"""A condition type that reads data of its own (the way "the satisfaction
rating is bad" will read survey answers, #15) is still one class: it loads
its values for many tickets at once, and its check stays pure."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from tiski.rules import engine, registry
from tiski.rules.facts import TicketFacts
from tiski.rules.models import TimeRule, Trigger
from tiski.rules.params import param
from tiski.rules.registry import ConditionKind
from tiski.tickets import actions
from tiski.tickets.models import Message, MessageKind, Via

from .helpers import make_facts

calls: list[list[int]] = []


@pytest.fixture
def customer_messages():
    class CustomerMessages(ConditionKind):
        type_name = "test_customer_messages"
        label = "Customer has written at least"
        at_least: int = param(label="Messages", ge=1)

        @classmethod
        def load(cls, ticket_ids: list[int]) -> Mapping[int, int]:
            calls.append(sorted(ticket_ids))
            found = dict.fromkeys(ticket_ids, 0)
            for ticket_id in Message.objects.filter(
                ticket_id__in=ticket_ids, kind=MessageKind.CUSTOMER
            ).values_list("ticket_id", flat=True):
                found[ticket_id] += 1
            return found

        def matches(self, facts: TicketFacts) -> bool:
            return (facts.loaded.get(self.type_name) or 0) >= self.at_least

    calls.clear()
    engine._compiled.clear()
    yield CustomerMessages
    registry.unregister("test_customer_messages", part="condition")
    engine._compiled.clear()


CONDITION = {"type": "test_customer_messages", "at_least": 2}


def tags(ticket) -> set[str]:
    return set(ticket.tags.values_list("name", flat=True))


def test_the_check_is_pure(customer_messages):
    group = registry.compile_conditions({"all": [CONDITION]})
    assert group.loaders == {"test_customer_messages": customer_messages.load}
    assert group.matches(make_facts(loaded={"test_customer_messages": 2}))
    assert not group.matches(make_facts(loaded={"test_customer_messages": 1}))
    assert not group.matches(make_facts())  # nothing loaded: no match


@pytest.mark.django_db
def test_a_trigger_loads_the_value_when_it_is_used(
    customer_messages, make_ticket, django_capture_on_commit_callbacks
):
    Trigger.objects.create(
        name="Toinen viesti",
        events=["customer_replied"],
        conditions={"all": [CONDITION]},
        actions=[{"type": "add_tags", "tags": ["muistutus"]}],
    )
    with django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket()
    assert tags(ticket) == set() and calls == []  # not listening to ticket_created
    with django_capture_on_commit_callbacks(execute=True):
        actions.add_message(
            ticket, kind=MessageKind.CUSTOMER, actor=None, via=Via.CHANNEL, text="Vielä kerran"
        )
    assert tags(ticket) == {"muistutus"}
    assert calls[0] == [ticket.pk]


@pytest.mark.django_db
def test_the_time_pass_loads_a_whole_chunk_at_once(
    customer_messages, make_ticket, no_shipped_time_rules
):
    once, twice = make_ticket(), make_ticket()
    actions.add_message(twice, kind=MessageKind.CUSTOMER, actor=None, via=Via.CHANNEL, text="Hei?")
    TimeRule.objects.create(
        name="Monta viestiä",
        conditions={
            "all": [{"type": "hours_since", "since": "created", "op": "less_than", "hours": 5}]
            + [CONDITION]
        },
        actions=[{"type": "add_tags", "tags": ["monta"]}],
    )
    engine.run_time_rules()
    assert tags(twice) == {"monta"} and tags(once) == set()
    assert calls == [sorted([once.pk, twice.pk])]
