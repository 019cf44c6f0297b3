"""The ticket actions keep events, timestamps and status rules in one place."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tiski.accounts.models import Role
from tiski.tickets import actions
from tiski.tickets.models import Event, MessageKind, Status, Ticket, Via


def test_create_ticket_numbers_are_sequential_and_events_written(make_ticket):
    first = make_ticket()
    second = make_ticket()
    assert second.number == first.number + 1
    assert first.status == Status.NEW
    assert first.events.filter(kind="created").count() == 1
    assert first.messages.get().kind == MessageKind.CUSTOMER
    assert first.last_customer_message_at is not None


def test_public_reply_stamps_first_reply_and_opens(make_ticket, make_user):
    agent = make_user()
    ticket = make_ticket()
    actions.add_message(ticket, kind=MessageKind.PUBLIC, actor=agent, via=Via.AGENT, text="Hei!")
    ticket.refresh_from_db()
    assert ticket.first_agent_reply_at is not None
    assert ticket.status == Status.OPEN
    first = ticket.first_agent_reply_at
    actions.add_message(ticket, kind=MessageKind.PUBLIC, actor=agent, via=Via.AGENT, text="Lisää")
    ticket.refresh_from_db()
    assert ticket.first_agent_reply_at == first
    assert ticket.last_agent_reply_at > first


def test_customer_reply_reopens_pending_and_solved(make_ticket, make_user):
    agent = make_user()
    for status in (Status.PENDING, Status.SOLVED):
        ticket = make_ticket()
        actions.update_ticket(ticket, actor=agent, via=Via.AGENT, status=status)
        actions.add_message(
            ticket,
            kind=MessageKind.CUSTOMER,
            actor=None,
            via=Via.CHANNEL,
            author_contact=ticket.requester,
            text="Kiitos, mutta...",
        )
        ticket.refresh_from_db()
        assert ticket.status == Status.OPEN
        assert ticket.solved_at is None


def test_update_writes_one_event_per_changed_field(make_ticket, make_user, make_team):
    agent = make_user()
    team = make_team()
    ticket = make_ticket()
    events = actions.update_ticket(
        ticket, actor=agent, via=Via.AGENT, priority="high", team=team, subject=ticket.subject
    )
    assert sorted(e.field for e in events) == ["priority", "team"]
    team_event = next(e for e in events if e.field == "team")
    assert team_event.new_value == str(team.pk) and team_event.actor == agent
    assert team_event.via == Via.AGENT


def test_solving_sets_solved_at_and_closed_is_read_only(make_ticket, make_user):
    agent = make_user()
    ticket = make_ticket()
    actions.update_ticket(ticket, actor=agent, via=Via.AGENT, status=Status.SOLVED)
    assert ticket.solved_at is not None
    actions.update_ticket(ticket, actor=None, via=Via.SYSTEM, status=Status.CLOSED)
    with pytest.raises(ValidationError):
        actions.update_ticket(ticket, actor=agent, via=Via.AGENT, priority="urgent")
    with pytest.raises(ValidationError):
        actions.add_message(ticket, kind=MessageKind.INTERNAL, actor=agent, via=Via.AGENT, text="x")


def test_parent_cannot_be_solved_while_child_open(make_ticket, make_user):
    agent = make_user()
    parent = make_ticket()
    child = make_ticket()
    actions.update_ticket(child, actor=agent, via=Via.AGENT, parent=parent)
    with pytest.raises(ValidationError):
        actions.update_ticket(parent, actor=agent, via=Via.AGENT, status=Status.SOLVED)
    actions.update_ticket(child, actor=agent, via=Via.AGENT, status=Status.SOLVED)
    actions.update_ticket(parent, actor=agent, via=Via.AGENT, status=Status.SOLVED)
    assert parent.status == Status.SOLVED


def test_light_agent_cannot_reply_publicly(make_ticket, make_user):
    light = make_user(role=Role.LIGHT_AGENT)
    ticket = make_ticket()
    with pytest.raises(PermissionDenied):
        actions.add_message(ticket, kind=MessageKind.PUBLIC, actor=light, via=Via.AGENT, text="x")
    note = actions.add_message(
        ticket, kind=MessageKind.INTERNAL, actor=light, via=Via.AGENT, text="sisäinen"
    )
    assert note.kind == MessageKind.INTERNAL


def test_restricted_team_needs_member_assignee(make_ticket, make_user, make_team):
    secret = make_team(restricted=True)
    outsider = make_user()
    ticket = make_ticket()
    with pytest.raises(ValidationError):
        actions.update_ticket(ticket, actor=None, via=Via.SYSTEM, team=secret, assignee=outsider)


def test_events_are_append_only(make_ticket):
    ticket = make_ticket()
    event = ticket.events.first()
    event.field = "tampered"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        Event.objects.filter(pk=event.pk).update(field="x")
    with pytest.raises(TypeError):
        Event.objects.filter(pk=event.pk).delete()


def test_tags_are_normalised_and_evented(make_ticket, make_user):
    agent = make_user()
    ticket = make_ticket()
    actions.set_tags(ticket, ["VIP Asiakas", "lasku"], actor=agent, via=Via.AGENT)
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["lasku", "vip-asiakas"]
    actions.set_tags(ticket, ["lasku"], actor=agent, via=Via.AGENT)
    assert list(ticket.tags.values_list("name", flat=True)) == ["lasku"]
    assert ticket.events.filter(field="tags").count() == 3


def test_visibility_rules(make_ticket, make_user, make_team, admin_user):
    sales, support = make_team("Myynti"), make_team("Asiakastuki")
    secret = make_team("HR", restricted=True)
    seller = make_user(teams=(sales,))
    hr = make_user(teams=(secret,))
    shared = make_ticket(subject="no team")
    sales_ticket = make_ticket(team=sales)
    support_ticket = make_ticket(team=support)
    secret_ticket = make_ticket(team=secret)
    actions.update_ticket(support_ticket, actor=None, via=Via.SYSTEM, assignee=seller)

    seen = set(Ticket.objects.visible_to(seller).values_list("pk", flat=True))
    assert seen == {shared.pk, sales_ticket.pk, support_ticket.pk}
    assert secret_ticket.pk in set(Ticket.objects.visible_to(hr).values_list("pk", flat=True))
    assert Ticket.objects.visible_to(admin_user).count() == 4
