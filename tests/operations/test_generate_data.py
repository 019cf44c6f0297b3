"""`tiski generate-data` makes a desk that obeys the same invariants as the actions."""

from __future__ import annotations

import io
from collections import Counter, defaultdict
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from tiski.accounts.models import Role, Team, User
from tiski.core.models import Sequence
from tiski.customers.models import Contact, Identity
from tiski.operations.generate import DEFAULT_PASSWORD, generate
from tiski.tickets import actions
from tiski.tickets.models import (
    Event,
    EventKind,
    Message,
    MessageKind,
    Status,
    Ticket,
    Via,
)

FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TICKETS = 300


@pytest.fixture(scope="module")
def generated(django_db_setup, django_db_blocker):
    """300 tickets over 60 days, in batches of 70, rolled back after the module.

    Sixty days instead of three years so a small desk still has every
    status: tickets older than a month are mostly closed, recent ones not.
    """
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHER):
        with transaction.atomic():
            out = io.StringIO()
            result = generate(
                TICKETS, seed=7, batch=70, agents=8, teams=3, history=timedelta(days=60), stdout=out
            )
            yield {"result": result, "output": out.getvalue()}
            transaction.set_rollback(True)


def _by_ticket(model, **filters) -> dict[int, list]:
    rows: dict[int, list] = defaultdict(list)
    for row in model.objects.filter(**filters).order_by("ticket_id", "created_at", "id"):
        rows[row.ticket_id].append(row)
    return rows


def test_counts(generated, db):
    """The asked number of tickets, a contact per three tickets, about five messages each."""
    assert Ticket.objects.count() == TICKETS
    assert generated["result"].tickets == TICKETS
    assert Contact.objects.count() == TICKETS // 3
    assert Identity.objects.filter(kind="email").count() >= 0.8 * Contact.objects.count()
    assert User.objects.count() == 8
    assert User.objects.filter(role=Role.ADMIN).count() == 1
    assert Team.objects.filter(restricted=True).count() == 1
    per_ticket = Counter(Message.objects.values_list("ticket_id", flat=True))
    assert len(per_ticket) == TICKETS, "every ticket has at least one message"
    assert max(per_ticket.values()) <= 30
    assert 3 <= sum(per_ticket.values()) / TICKETS <= 7
    assert {"fi", "en"} <= set(Ticket.objects.values_list("requester__language", flat=True))
    assert "tickets/s" in generated["output"]


def test_status_mix_follows_age(generated, db):
    """Old tickets are closed; recent ones are spread over the unsolved statuses."""
    month_ago = timezone.now() - timedelta(days=31)
    old = Counter(Ticket.objects.filter(created_at__lt=month_ago).values_list("status", flat=True))
    assert old[Status.CLOSED] >= 0.8 * sum(old.values())
    recent = Counter(
        Ticket.objects.filter(created_at__gte=timezone.now() - timedelta(days=7)).values_list(
            "status", flat=True
        )
    )
    assert {Status.OPEN, Status.PENDING, Status.SOLVED} <= set(recent)
    assert set(Ticket.objects.values_list("status", flat=True)) >= {
        Status.NEW,
        Status.OPEN,
        Status.PENDING,
        Status.SOLVED,
        Status.CLOSED,
    }
    assert not Ticket.objects.filter(status=Status.NEW, assignee__isnull=False).exists()
    assert not Ticket.objects.exclude(status=Status.NEW).filter(assignee__isnull=True).exists()


def test_messages_are_ordered_and_in_the_past(generated, db):
    """The first message is the customer's, at creation; later ones follow in time."""
    now = timezone.now()
    messages = _by_ticket(Message)
    for ticket in Ticket.objects.all():
        conversation = messages[ticket.pk]
        assert conversation[0].kind == MessageKind.CUSTOMER
        assert conversation[0].created_at == ticket.created_at
        times = [m.created_at for m in conversation]
        assert times == sorted(times) and len(set(times)) == len(times)
        ids = [m.pk for m in conversation]
        assert ids == sorted(ids), "ids follow the conversation order"
        assert times[-1] < now
        for message in conversation:
            if message.kind == MessageKind.CUSTOMER:
                assert message.author_contact_id == ticket.requester_id
                assert message.author_user_id is None
            else:
                assert message.author_user_id is not None


def test_report_timestamps_match_the_conversation(generated, db):
    """first/last agent reply, last customer message, solved and closed as the actions set them."""
    messages = _by_ticket(Message)
    events = _by_ticket(Event)
    for ticket in Ticket.objects.all():
        conversation = messages[ticket.pk]
        public = [m.created_at for m in conversation if m.kind == MessageKind.PUBLIC]
        customer = [m.created_at for m in conversation if m.kind == MessageKind.CUSTOMER]
        assert ticket.first_agent_reply_at == (public[0] if public else None)
        assert ticket.last_agent_reply_at == (public[-1] if public else None)
        assert ticket.last_customer_message_at == customer[-1]
        assert (ticket.solved_at is not None) == (ticket.status in (Status.SOLVED, Status.CLOSED))
        assert (ticket.closed_at is not None) == (ticket.status == Status.CLOSED)
        if ticket.closed_at:
            assert ticket.closed_at - ticket.solved_at >= timedelta(days=4)
        history = events[ticket.pk]
        last_activity = max([m.created_at for m in conversation] + [e.created_at for e in history])
        assert ticket.updated_at == last_activity


def test_events_tell_the_same_story(generated, db):
    """created, one event per message, a status chain ending in the status, the assignment."""
    messages = _by_ticket(Message)
    for ticket in Ticket.objects.prefetch_related("tags"):
        history = list(Event.objects.filter(ticket=ticket).order_by("created_at", "id"))
        assert history[0].kind == EventKind.CREATED
        assert sum(e.kind == EventKind.CREATED for e in history) == 1
        message_events = [e for e in history if e.kind == EventKind.MESSAGE]
        assert [e.meta["message_id"] for e in message_events] == [m.pk for m in messages[ticket.pk]]
        assert [e.meta["message_kind"] for e in message_events] == [
            m.kind for m in messages[ticket.pk]
        ]
        statuses = [e for e in history if e.field == "status"]
        previous = Status.NEW
        for change in statuses:
            assert change.old_value == previous
            assert change.new_value != change.old_value
            previous = change.new_value
        assert previous == ticket.status
        assert ticket.status_changed_at == (
            statuses[-1].created_at if statuses else ticket.created_at
        )
        if ticket.solved_at:
            solved = [e for e in statuses if e.new_value == Status.SOLVED]
            assert ticket.solved_at == solved[-1].created_at
        assignments = [e for e in history if e.field == "assignee"]
        if ticket.assignee_id:
            assert assignments[-1].new_value == str(ticket.assignee_id)
        else:
            assert not assignments
        tag_events = {e.new_value for e in history if e.field == "tags"}
        assert tag_events == {t.name for t in ticket.tags.all()}
        if ticket.status == Status.CLOSED:
            assert statuses[-1].via == Via.SYSTEM


def test_email_messages_carry_unique_message_ids(generated, db):
    """Customer emails and our public email replies have Message-IDs; nothing else does."""
    email = Message.objects.filter(
        ticket__channel="email", kind__in=[MessageKind.CUSTOMER, MessageKind.PUBLIC]
    )
    ids = list(email.values_list("external_id", flat=True))
    assert ids and all(i.startswith("<") and i.endswith(">") and "@" in i for i in ids)
    assert len(set(ids)) == len(ids)
    assert not Message.objects.filter(kind=MessageKind.INTERNAL).exclude(external_id="").exists()


def test_numbers_are_unique_and_the_sequence_continues(generated, db, make_contact):
    """Numbers rise with creation time and create_ticket carries on after the last one."""
    result = generated["result"]
    numbers = list(Ticket.objects.order_by("created_at", "id").values_list("number", flat=True))
    assert numbers == list(range(result.first_number, result.first_number + TICKETS))
    assert Sequence.current("ticket_number") == max(numbers)
    ticket = actions.create_ticket(
        requester=make_contact(), subject="Uusi", text="Hei", actor=None, via=Via.CHANNEL
    )
    assert ticket.number == max(numbers) + 1
    assert Ticket.objects.order_by("-id").first() == ticket, "ids continue after ours too"


def test_desk_pages_render_generated_data(generated, client, db):
    """Admin and a team agent see the inbox, counts, a filtered view and ticket pages."""
    with override_settings(PASSWORD_HASHERS=FAST_HASHER):
        for email in ("admin@tiski-data.example", "agent01@tiski-data.example"):
            client.logout()
            assert client.login(username=email, password=DEFAULT_PASSWORD)
            page = client.get(reverse("desk:inbox"))
            assert page.status_code == 200
            assert client.get(reverse("desk:inbox") + "?view=solved").status_code == 200
            filtered = client.get(reverse("desk:inbox") + "?view=open&priority=high&channel=email")
            assert filtered.status_code == 200
            counts = client.get(reverse("desk:view-counts"), HTTP_ACCEPT="application/json")
            assert counts.status_code == 200 and "open" in counts.json()
            user = User.objects.get(email=email)
            longest = (
                Ticket.objects.visible_to(user)
                .order_by("-last_customer_message_at")
                .values_list("number", flat=True)[:3]
            )
            for number in longest:
                response = client.get(reverse("desk:ticket", args=[number]))
                assert response.status_code == 200
                assert Ticket.objects.get(number=number).subject in response.content.decode()


def test_command_adds_to_an_existing_desk(db, settings):
    """Running twice reuses the people and continues the numbers."""
    settings.PASSWORD_HASHERS = FAST_HASHER
    out = io.StringIO()
    before = set(Ticket.objects.values_list("pk", flat=True))
    call_command("generate_data", tickets=12, agents=3, teams=2, seed=2, batch=5, stdout=out)
    users = User.objects.count()
    call_command("generate_data", tickets=8, agents=3, teams=2, seed=3, stdout=out)
    assert User.objects.count() == users
    new = Ticket.objects.exclude(pk__in=before)
    assert new.count() == 20
    numbers = sorted(new.values_list("number", flat=True))
    assert numbers == list(range(numbers[0], numbers[0] + 20))
    assert numbers[0] > max(
        Ticket.objects.filter(pk__in=before).values_list("number", flat=True), default=0
    )
    assert "Generated 12 tickets" in out.getvalue() and "tickets/s" in out.getvalue()
