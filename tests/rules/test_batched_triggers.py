"""Triggers after a time-rule chunk: the batched handler reads for all the
changes at once and runs the same triggers, in the same order, on each ticket."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tiski.rules import engine
from tiski.rules.facts import build_facts, build_facts_many
from tiski.rules.models import RuleFiring, TimeRule, Trigger
from tiski.tickets import actions
from tiski.tickets.changes import TicketChange
from tiski.tickets.models import MessageKind, Status, Ticket, Via

pytestmark = pytest.mark.django_db


def solved_trigger() -> Trigger:
    return Trigger.objects.create(
        name="Ratkaistu: merkitse",
        events=["status_changed"],
        conditions={"all": [{"type": "status", "op": "equals", "value": "solved"}]},
        actions=[{"type": "add_tags", "tags": ["ratkaistu-säännöllä"]}],
    )


def pending_tickets(make_ticket, make_user, count: int) -> list[Ticket]:
    agent = make_user()
    tickets = []
    for n in range(count):
        ticket = make_ticket(subject=f"Tilaus {n}", assignee=agent)
        actions.update_ticket(ticket, actor=agent, via=Via.AGENT, status=Status.PENDING)
        tickets.append(ticket)
    return tickets


@pytest.mark.django_db(transaction=True)
def test_triggers_answer_every_status_change_of_a_time_rule_chunk(
    make_ticket, make_user, time_machine, monkeypatch
):
    """A time rule solves pending tickets after 7 days; a trigger on the
    status change then tags each of them (through the batched handler, after
    the chunk commits), and its firings are logged per ticket."""
    batches: list[int] = []
    handle_many = engine.on_ticket_change.handle_many

    def counting(many):
        batches.append(len(many))
        handle_many(many)

    monkeypatch.setattr(engine.on_ticket_change, "handle_many", counting)
    # Made here, as the shipped one: a transactional test before this one
    # may have flushed the rows the data migration wrote.
    TimeRule.objects.filter(active=True).update(active=False)
    TimeRule.objects.create(
        name="Ratkaise odottava 7 päivän jälkeen (testi)",
        conditions={
            "all": [
                {"type": "status", "op": "equals", "value": "pending"},
                {"type": "hours_since", "since": "status_changed", "op": "at_least", "hours": 168},
            ]
        },
        actions=[{"type": "set_status", "status": "solved"}],
    )
    tickets = pending_tickets(make_ticket, make_user, 4)
    solved_trigger()
    time_machine.move_to(timezone.now() + timedelta(days=8), tick=False)

    engine.run_time_rules()

    for ticket in tickets:
        ticket.refresh_from_db()
        assert ticket.status == Status.SOLVED
        assert set(ticket.tags.values_list("name", flat=True)) == {"ratkaistu-säännöllä"}
    assert RuleFiring.objects.filter(rule_name="Ratkaistu: merkitse").count() == 4
    assert 4 in batches, batches


def changes_for(tickets: list[Ticket]) -> list[TicketChange]:
    return [
        TicketChange(
            ticket_id=ticket.pk,
            via=Via.RULE,
            actor_id=None,
            fields={"status": ("pending", "solved")},
        )
        for ticket in tickets
    ]


def test_the_batched_handler_reads_once_for_many_changes(make_ticket, make_user):
    """Without a trigger that fires, the queries do not grow with the changes."""
    Trigger.objects.create(
        name="Ei koskaan",
        events=["status_changed"],
        conditions={"all": [{"type": "status", "op": "equals", "value": "closed"}]},
        actions=[{"type": "add_tags", "tags": ["x"]}],
    )
    few = pending_tickets(make_ticket, make_user, 2)
    many = pending_tickets(make_ticket, make_user, 8)
    counts = []
    for tickets in (few, many):
        with CaptureQueriesContext(connection) as queries:
            engine.on_ticket_changes(changes_for(tickets))
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    assert engine.on_ticket_change.handle_many is engine.on_ticket_changes


def test_batched_facts_are_the_facts_of_the_single_path(make_ticket, make_user, make_contact):
    agent = make_user()
    plain = make_ticket(subject="Lasku", text="Missä lasku on?")
    tagged = make_ticket(subject="Toimitus", text="Paketti myöhässä", requester=make_contact())
    actions.set_tags(tagged, ["vip", "toimitus"], actor=agent, via=Via.AGENT)
    actions.add_message(
        tagged, kind=MessageKind.INTERNAL, actor=agent, via=Via.AGENT, text="Tarkistan asian"
    )
    note = actions.add_message(
        plain, kind=MessageKind.INTERNAL, actor=agent, via=Via.AGENT, text="Uusi huomio"
    )
    note_change = TicketChange(
        ticket_id=plain.pk, via=Via.AGENT, actor_id=agent.pk, messages=((note.pk, "internal"),)
    )
    now = timezone.now()
    tickets = list(
        Ticket.objects.select_related("requester__organisation", "type", "assignee", "team")
        .filter(pk__in=[plain.pk, tagged.pk])
        .order_by("pk")
    )
    many = build_facts_many(tickets, {plain.pk: note_change, tagged.pk: None}, now=now)
    assert many[plain.pk] == build_facts(tickets[0], note_change, now=now)
    assert many[tagged.pk] == build_facts(tickets[1], None, now=now)
    assert many[tagged.pk].tags == frozenset({"vip", "toimitus"})
    assert many[plain.pk].body == "Uusi huomio"


@pytest.mark.parametrize("bulk_reads_fail", [False, True])
def test_each_ticket_gets_its_triggers_even_when_the_bulk_reads_fail(
    make_ticket, make_user, monkeypatch, caplog, bulk_reads_fail
):
    tickets = pending_tickets(make_ticket, make_user, 3)
    agent = make_user()
    for ticket in tickets:
        actions.update_ticket(ticket, actor=agent, via=Via.AGENT, status=Status.SOLVED)
    solved_trigger()
    if bulk_reads_fail:

        def broken(*args, **kwargs):
            raise RuntimeError("a loader broke")

        monkeypatch.setattr(engine, "build_facts_many", broken)

    engine.on_ticket_changes(changes_for(tickets))

    for ticket in tickets:
        assert set(ticket.tags.values_list("name", flat=True)) == {"ratkaistu-säännöllä"}
    assert ("one by one" in caplog.text) is bulk_reads_fail
