"""The demo desk is complete, believable and consistent with the audit trail."""

from __future__ import annotations

import io
from collections import defaultdict

import pytest
from django.contrib.auth.hashers import check_password
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from tiski.accounts.models import Role, Team, User
from tiski.customers.models import Contact, Organisation
from tiski.operations.demo_data import populate
from tiski.tickets.models import (
    Channel,
    Event,
    EventKind,
    Message,
    MessageKind,
    Priority,
    Status,
    Ticket,
    TicketType,
)

FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """Build the demo once for the module and roll it back afterwards.

    Generating 200 tickets takes a few seconds; doing it per test would
    make this file the slowest in the suite for no extra coverage.
    """
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHER):
        with transaction.atomic():
            out = io.StringIO()
            logins = populate(stdout=out)
            yield {"logins": logins, "output": out.getvalue()}
            transaction.set_rollback(True)


def _status_events(ticket_id: int) -> list[Event]:
    return list(
        Event.objects.filter(ticket_id=ticket_id, field="status").order_by("created_at", "id")
    )


def test_people_and_logins(demo, db, settings):
    """Five agents with the demo password, one admin, one light agent, one away."""
    logins = demo["logins"]
    assert len(logins) == 5
    assert ("admin@tiski.example", settings.TISKI_DEMO_PASSWORD) in logins
    users = {u.email: u for u in User.objects.all()}
    for email, password in logins:
        assert check_password(password, users[email].password)
    assert users["admin@tiski.example"].role == Role.ADMIN
    roles = [u.role for u in users.values()]
    assert roles.count(Role.ADMIN) == 1 and Role.LIGHT_AGENT in roles
    assert sum(u.is_out_of_office() for u in users.values()) == 1
    assert sorted(u.language for u in users.values()) == ["en", "fi", "fi", "fi", "fi"]
    assert set(Team.objects.values_list("name", flat=True)) == {"Asiakastuki", "Myynti"}
    assert "200" in demo["output"]


def test_counts_are_in_range(demo, db):
    """Roughly a dozen organisations, eighty contacts and two hundred tickets."""
    assert 10 <= Organisation.objects.count() <= 15
    assert Organisation.objects.filter(domains__isnull=False).distinct().count() >= 10
    assert 70 <= Contact.objects.count() <= 90
    assert Contact.objects.filter(language="en").count() >= 5
    with_email = Contact.objects.filter(identities__kind="email").distinct().count()
    with_phone = Contact.objects.filter(identities__kind="phone").distinct().count()
    assert with_email >= 0.8 * Contact.objects.count()
    assert with_phone >= 0.4 * Contact.objects.count()
    assert 180 <= Ticket.objects.count() <= 220
    per_ticket = Message.objects.count() / Ticket.objects.count()
    assert 2 <= per_ticket <= 6


def test_every_status_type_priority_channel_and_team_present(demo, db):
    """The desk shows every state a real one has."""
    tickets = Ticket.objects.all()
    assert set(tickets.values_list("status", flat=True)) == set(Status.values)
    assert set(tickets.values_list("type__slug", flat=True)) == set(
        TicketType.objects.values_list("slug", flat=True)
    )
    assert set(tickets.values_list("priority", flat=True)) == set(Priority.values)
    used = set(tickets.values_list("channel", flat=True))
    assert {"email", "phone", "web_form", "chat", "whatsapp", "sms", "manual"} <= used
    counts = {c: tickets.filter(channel=c).count() for c in used}
    assert counts[Channel.EMAIL] == max(counts.values())
    assert set(tickets.values_list("team__name", flat=True)) == {"Asiakastuki", "Myynti", None}
    assert tickets.filter(assignee__isnull=False).exists()
    assert tickets.filter(assignee__isnull=True).exists()
    assert tickets.filter(tags__isnull=False).distinct().count() >= 0.9 * tickets.count()
    assert tickets.filter(due_at__isnull=False).exists()
    assert 3 <= tickets.filter(parent__isnull=False).count() <= 10
    assert Message.objects.filter(kind=MessageKind.INTERNAL).exists()
    english = Ticket.objects.filter(requester__language="en").count()
    assert 0.08 <= english / tickets.count() <= 0.25


def test_history_is_in_the_past_and_messages_in_order(demo, db):
    """Tickets span about two months; each conversation runs forward in time."""
    now = timezone.now()
    created = list(Ticket.objects.values_list("created_at", flat=True))
    assert max(created) < now
    assert (now - min(created)).days >= 40
    by_ticket: dict[int, list[Message]] = defaultdict(list)
    for message in Message.objects.order_by("ticket_id", "id"):
        by_ticket[message.ticket_id].append(message)
    tickets = {t.pk: t for t in Ticket.objects.all()}
    for ticket_id, messages in by_ticket.items():
        times = [m.created_at for m in messages]
        assert times == sorted(times), ticket_id
        assert times[0] >= tickets[ticket_id].created_at
        assert times[-1] < now
        assert 1 <= len(messages) <= 6
        if tickets[ticket_id].channel == Channel.EMAIL:
            assert messages[0].external_id.startswith("<")


def test_events_are_in_order(demo, db):
    """Events were written in time order, starting with the creation."""
    events: dict[int, list[Event]] = defaultdict(list)
    for event in Event.objects.order_by("ticket_id", "id"):
        events[event.ticket_id].append(event)
    tickets = {t.pk: t for t in Ticket.objects.all()}
    for ticket_id, ticket_events in events.items():
        times = [e.created_at for e in ticket_events]
        assert times == sorted(times), ticket_id
        assert ticket_events[0].kind == EventKind.CREATED
        assert times[0] == tickets[ticket_id].created_at
        for event in ticket_events:
            if event.field == "tags":
                # Tags given at creation belong to the creation moment.
                assert event.created_at == tickets[ticket_id].created_at


def test_events_agree_with_status(demo, db):
    """Replaying each ticket's status events ends at its status."""
    for ticket in Ticket.objects.all():
        events = _status_events(ticket.pk)
        current = events[0].old_value if events else ticket.status
        assert current in (Status.NEW, Status.OPEN), ticket.number
        for event in events:
            assert event.old_value == current, ticket.number
            current = event.new_value
        assert current == ticket.status, ticket.number
        if ticket.status in (Status.SOLVED, Status.CLOSED):
            assert Status.SOLVED in [e.new_value for e in events], ticket.number
            assert ticket.messages.filter(kind=MessageKind.PUBLIC).exists(), ticket.number
            assert ticket.solved_at is not None
        if ticket.status == Status.CLOSED:
            # Closed by the shipped time rule, which the event names.
            assert events[-1].via == "rule" and events[-1].meta.get("rule")
            assert ticket.closed_at is not None
        if ticket.status == Status.NEW:
            assert ticket.assignee_id is None
            assert not ticket.messages.filter(kind=MessageKind.PUBLIC).exists()


def test_children_never_block_solved_parents(demo, db):
    for child in Ticket.objects.filter(parent__isnull=False).select_related("parent"):
        assert child.parent.team_id != child.team_id
        if child.parent.status in (Status.SOLVED, Status.CLOSED):
            assert child.status in (Status.SOLVED, Status.CLOSED)


def test_second_call_adds_nothing(demo, db):
    """Re-running `tiski demo` keeps the existing data as it is."""
    before = (
        Ticket.objects.count(),
        Message.objects.count(),
        Contact.objects.count(),
        User.objects.count(),
    )
    out = io.StringIO()
    assert populate(stdout=out) == []
    after = (
        Ticket.objects.count(),
        Message.objects.count(),
        Contact.objects.count(),
        User.objects.count(),
    )
    assert before == after
    assert out.getvalue()
