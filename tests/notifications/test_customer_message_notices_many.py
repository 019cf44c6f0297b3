"""A worker's batch of customers' later messages (a busy web chat) tells the
followers with one bulk write: the same notices and bells as each change
handled alone, whom the kind is off for, who is inactive or may not see
the ticket left out alike."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tiski.core import realtime
from tiski.notifications import handlers
from tiski.notifications.kinds import Delivery, Kind
from tiski.notifications.models import Follow, Notification, NotificationSetting
from tiski.tickets import actions
from tiski.tickets.changes import TicketChange
from tiski.tickets.models import Channel, MessageKind, Via

pytestmark = pytest.mark.django_db


def _written(ticket, kind: str, text: str, **extra):  # type: ignore[no-untyped-def]
    """A message on the ticket and the change that announces it (built here:
    the test's transaction never commits, so no handler runs on its own)."""
    message = actions.add_message(
        ticket,
        kind=kind,
        actor=extra.pop("actor", None),
        via=extra.pop("via", Via.CHANNEL),
        text=text,
        channel=Channel.CHAT,
    )
    return message, TicketChange(
        ticket_id=ticket.pk,
        via=Via.CHANNEL if kind == MessageKind.CUSTOMER else Via.AGENT,
        actor_id=message.author_user_id,
        messages=((message.pk, kind),),
    )


def _rows() -> list[tuple]:
    return sorted(
        (n.user_id, n.ticket_id, n.kind, n.message_id, n.actor_id, n.params, n.text)
        for n in Notification.objects.all()
    )


@pytest.fixture
def batch(make_ticket, make_user, make_team):
    """Customers' messages on tickets with every kind of follower, between a
    reply and a status change, as a worker's round holds them."""
    closed = make_team(restricted=True)
    reader, member = make_user(), make_user(teams=(closed,))
    quiet, gone = make_user(), make_user(is_active=False)
    NotificationSetting.objects.create(
        user=quiet, kind=Kind.CUSTOMER_MESSAGE, delivery=Delivery.OFF
    )
    open_ticket, closed_ticket, unfollowed = make_ticket(), make_ticket(team=closed), make_ticket()
    replied, changed = make_ticket(), make_ticket()
    for user in (reader, quiet, gone):
        Follow.objects.create(user=user, ticket=open_ticket)
    for user in (reader, member):  # the reader may not see the restricted team's ticket
        Follow.objects.create(user=user, ticket=closed_ticket)
    Follow.objects.create(user=reader, ticket=changed)
    made = [
        _written(open_ticket, MessageKind.CUSTOMER, "Vieläkö?")[1],
        _written(replied, MessageKind.PUBLIC, "Katsotaan", actor=member, via=Via.AGENT)[1],
        _written(closed_ticket, MessageKind.CUSTOMER, "Hei taas " * 30)[1],
        TicketChange(
            ticket_id=changed.pk, via=Via.RULE, actor_id=None, fields={"status": ("open", "solved")}
        ),
        _written(unfollowed, MessageKind.CUSTOMER, "Kiitos")[1],
    ]
    return made, reader, member


def test_a_batch_of_customer_messages_writes_the_notices_of_the_single_path(batch, monkeypatch):
    made, reader, member = batch
    bells: list[tuple[str, str]] = []
    monkeypatch.setattr(
        realtime,
        "send_many",
        lambda messages: bells.extend((g, p["event"]) for g, p in messages),
    )

    for change in made:
        handlers.on_ticket_change(change)
    one_by_one, one_by_one_bells = _rows(), sorted(bells)
    Notification.objects.all().delete()
    bells.clear()
    handlers.on_ticket_change.handle_many(made)

    assert _rows() == one_by_one
    assert sorted(bells) == one_by_one_bells
    told = {(user, kind) for user, _t, kind, *_rest in one_by_one}
    # The reader on the open ticket and the solved one, the member on the closed one.
    assert told == {
        (reader.pk, Kind.CUSTOMER_MESSAGE),
        (member.pk, Kind.CUSTOMER_MESSAGE),
        (reader.pk, Kind.CHANGE),
    }
    assert len(one_by_one) == 3
    assert [r[5]["excerpt"] for r in one_by_one if r[0] == member.pk] == [("Hei taas " * 30)[:140]]
    assert Follow.objects.filter(user=member, ticket_id=made[1].ticket_id).exists()


def test_a_failing_bulk_write_leaves_each_change_to_the_single_path(batch, monkeypatch):
    made, _reader, _member = batch
    for change in made:
        handlers.on_ticket_change(change)
    one_by_one = _rows()
    Notification.objects.all().delete()

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("the database went away")

    monkeypatch.setattr(handlers.services, "notify_many", broken)
    handlers.on_ticket_change.handle_many(made)
    assert _rows() == one_by_one


def test_the_statements_of_a_batch_do_not_grow_with_its_messages(make_ticket, make_user):
    watcher = make_user()
    counts = []
    for size in (2, 8):
        made = []
        for _ in range(size):
            ticket = make_ticket()
            Follow.objects.create(user=watcher, ticket=ticket)
            made.append(_written(ticket, MessageKind.CUSTOMER, "Vielä yksi")[1])
        with CaptureQueriesContext(connection) as queries:
            handlers.on_ticket_change.handle_many(made)
        counts.append(len(queries))
    assert Notification.objects.filter(user=watcher).count() == 10
    assert counts[0] == counts[1]
