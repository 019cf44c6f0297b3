"""Triggers run on real ticket changes made through tickets.actions, after commit."""

from __future__ import annotations

import logging

import pytest
from django.utils import timezone

from tiski.rules import engine
from tiski.rules.models import RuleFiring, Trigger
from tiski.tickets import actions
from tiski.tickets.changes import TicketChange
from tiski.tickets.models import Event, MessageKind, Priority, Status, Via

pytestmark = pytest.mark.django_db


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run the block, then its after-commit work (and what that work schedules)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def trigger(events, actions_, conditions=None, name=None, position=0) -> Trigger:
    return Trigger.objects.create(
        name=name or f"{events[0]} trigger",
        events=events,
        conditions=conditions or {},
        actions=actions_,
        position=position,
    )


def tags(ticket) -> set[str]:
    return set(ticket.tags.values_list("name", flat=True))


def test_ticket_created_with_text_conditions(make_ticket, committed):
    trigger(
        ["ticket_created"],
        [{"type": "add_tags", "tags": ["laskutus"]}, {"type": "set_priority", "priority": "high"}],
        {"all": [{"type": "text", "op": "word_starts", "value": "lasku"}]},
    )
    with committed():
        billing = make_ticket(subject="Kysymys", text="Laskussa on virhe")
        other = make_ticket(subject="Tilaus", text="Missä paketti?")
    billing.refresh_from_db()
    assert tags(billing) == {"laskutus"} and billing.priority == Priority.HIGH
    assert tags(other) == set()
    firing = RuleFiring.objects.get(ticket=billing)
    events = Event.objects.filter(pk__in=firing.event_ids)
    assert {(e.field, e.via) for e in events} == {("tags", Via.RULE), ("priority", Via.RULE)}


@pytest.mark.parametrize(
    ("kind", "event"),
    [
        (MessageKind.CUSTOMER, "customer_replied"),
        (MessageKind.PUBLIC, "agent_replied"),
        (MessageKind.INTERNAL, "note_added"),
    ],
)
def test_message_events(make_ticket, make_user, committed, kind, event):
    agent = make_user()
    ticket = make_ticket(assignee=agent)
    trigger([event], [{"type": "add_tags", "tags": [event]}])
    with committed():
        actions.add_message(
            ticket,
            kind=kind,
            actor=None if kind == MessageKind.CUSTOMER else agent,
            author_contact=ticket.requester if kind == MessageKind.CUSTOMER else None,
            via=Via.AGENT,
            text="Viesti",
        )
    assert tags(ticket) == {event}


def test_status_and_field_changes(make_ticket, make_team, make_user, committed):
    team = make_team()
    agent = make_user()
    ticket = make_ticket()
    trigger(
        ["status_changed"],
        [{"type": "add_tags", "tags": ["odottaa"]}],
        {"all": [{"type": "status", "value": "pending"}]},
    )
    trigger(
        ["field_changed"],
        [{"type": "set_team", "team": team.pk}],
        {"all": [{"type": "priority", "value": "urgent"}]},
    )
    with committed():
        actions.update_ticket(ticket, actor=agent, via=Via.AGENT, status=Status.PENDING)
    assert tags(ticket) == {"odottaa"}
    with committed():
        actions.update_ticket(ticket, actor=agent, via=Via.AGENT, priority=Priority.URGENT)
    ticket.refresh_from_db()
    assert ticket.team == team


def test_sla_events(make_ticket, committed):
    """SLA warnings and breaches reach triggers as the ticket's change, like any other."""
    ticket = make_ticket()
    trigger(["sla_breach"], [{"type": "set_priority", "priority": "urgent"}])
    trigger(["sla_warning"], [{"type": "add_tags", "tags": ["sla-varoitus"]}])
    due = timezone.now()
    with committed():
        actions.record_sla_event(ticket, "sla_warning", due_at=due, target="first_reply")
    assert tags(ticket) == {"sla-varoitus"}
    ticket.refresh_from_db()
    assert ticket.priority == Priority.NORMAL
    with committed():
        actions.record_sla_event(ticket, "sla_breach", due_at=due, target="first_reply")
    ticket.refresh_from_db()
    assert ticket.priority == Priority.URGENT


def test_an_sla_event_is_named_in_the_change_and_nothing_else_is():
    change = TicketChange(ticket_id=1, via=Via.SYSTEM, actor_id=None, sla_events=("sla_breach",))
    assert engine.event_names(change) == {"sla_breach"}
    assert engine.event_names(TicketChange(ticket_id=1, via=Via.SYSTEM, actor_id=None)) == set()


def test_triggers_run_in_position_order_on_fresh_facts(make_ticket, committed):
    """A later trigger sees what an earlier one did to the same change."""
    trigger(
        ["ticket_created"],
        [{"type": "add_tags", "tags": ["toinen"]}],
        {"all": [{"type": "tags", "tags": ["ensin"]}]},
        name="b",
        position=2,
    )
    trigger(["ticket_created"], [{"type": "add_tags", "tags": ["ensin"]}], name="a", position=1)
    with committed():
        ticket = make_ticket()
    assert tags(ticket) == {"ensin", "toinen"}


def test_inactive_and_other_event_triggers_do_not_run(make_ticket, committed):
    trigger(["customer_replied"], [{"type": "add_tags", "tags": ["x"]}])
    Trigger.objects.filter(
        pk=trigger(["ticket_created"], [{"type": "add_tags", "tags": ["y"]}]).pk
    ).update(active=False)
    with committed():
        ticket = make_ticket()
    assert tags(ticket) == set()


def test_a_failing_trigger_is_logged_and_skipped(make_ticket, committed, monkeypatch, caplog):
    from tiski.rules import registry

    def explode(params, context):
        raise RuntimeError("boom")

    boom = registry.ACTIONS["add_note"]
    monkeypatch.setitem(
        registry.ACTIONS,
        "add_note",
        registry.ActionType("add_note", boom.label, boom.params, explode),
    )
    trigger(["ticket_created"], [{"type": "add_note", "text": "x"}], name="broken", position=1)
    trigger(["ticket_created"], [{"type": "add_tags", "tags": ["ok"]}], name="fine", position=2)
    with caplog.at_level(logging.ERROR), committed():
        ticket = make_ticket()
    assert tags(ticket) == {"ok"}
    assert "broken" in caplog.text and "boom" in caplog.text
    assert not RuleFiring.objects.filter(rule_name="broken").exists()


def test_a_rule_does_not_react_to_its_own_change(make_ticket, committed):
    """A trigger on field_changed that adds a tag does not run again on its own tag event."""
    rule = trigger(["field_changed"], [{"type": "add_tags", "tags": ["nähty"]}])
    ticket = make_ticket()
    with committed():
        actions.update_ticket(ticket, actor=None, via=Via.AGENT, priority=Priority.HIGH)
    assert RuleFiring.objects.filter(rule_id=rule.pk).count() == 1


def flip_flop() -> tuple[Trigger, Trigger]:
    down = trigger(
        ["field_changed"],
        [{"type": "set_priority", "priority": "normal"}],
        {"all": [{"type": "priority", "value": "high"}]},
        name="alas",
    )
    up = trigger(
        ["field_changed"],
        [{"type": "set_priority", "priority": "high"}],
        {"all": [{"type": "priority", "value": "normal"}]},
        name="ylös",
    )
    return down, up


def assert_consistent(ticket) -> None:
    """The ticket's priority is what the last priority event says."""
    ticket.refresh_from_db()
    last = Event.objects.filter(ticket=ticket, field="priority").order_by("-id").first()
    assert ticket.priority == last.new_value


def test_two_triggers_undoing_each_other_stop_at_the_per_rule_cap(make_ticket, committed, caplog):
    down, up = flip_flop()
    ticket = make_ticket()
    with committed():
        actions.update_ticket(ticket, actor=None, via=Via.AGENT, priority=Priority.HIGH)
    assert RuleFiring.objects.filter(rule_id=down.pk).count() == 5
    assert RuleFiring.objects.filter(rule_id=up.pk).count() == 5
    assert "fired 5 times" in caplog.text
    assert_consistent(ticket)
    down.refresh_from_db()
    assert down.fire_count == 5


def test_the_per_ticket_change_cap_stops_all_rules(make_ticket, committed, settings):
    settings.TISKI_RULE_MAX_FIRINGS_PER_HOUR = 1000
    settings.TISKI_RULE_MAX_CHANGES_PER_HOUR = 7
    flip_flop()
    ticket = make_ticket()
    with committed():
        actions.update_ticket(ticket, actor=None, via=Via.AGENT, priority=Priority.HIGH)
    assert Event.objects.filter(ticket=ticket, via=Via.RULE).count() == 7
    assert_consistent(ticket)


def test_caps_reset_after_an_hour(make_ticket, committed, time_machine):
    time_machine.move_to("2025-03-12 10:00 +0200", tick=False)
    down, up = flip_flop()
    ticket = make_ticket()
    with committed():
        actions.update_ticket(ticket, actor=None, via=Via.AGENT, priority=Priority.HIGH)
    time_machine.move_to("2025-03-12 11:01 +0200", tick=False)
    with committed():
        actions.update_ticket(ticket, actor=None, via=Via.AGENT, priority=Priority.NORMAL)
    assert RuleFiring.objects.filter(rule_id=down.pk).count() == 10
    assert_consistent(ticket)
