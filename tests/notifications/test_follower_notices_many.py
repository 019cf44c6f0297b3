"""Followers hear of a batch of changes (a time-rule chunk) as of each change."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tiski.notifications import handlers
from tiski.notifications.models import Follow, Notification
from tiski.tickets.changes import TicketChange
from tiski.tickets.models import Via

pytestmark = pytest.mark.django_db


def solves(tickets) -> list[TicketChange]:
    return [
        TicketChange(
            ticket_id=t.pk, via=Via.RULE, actor_id=None, fields={"status": ("pending", "solved")}
        )
        for t in tickets
    ]


def rows():
    return sorted((n.user_id, n.ticket_id, n.kind, n.params) for n in Notification.objects.all())


def test_the_batch_writes_the_notices_of_the_single_path(make_ticket, make_user):
    followed, other = make_ticket(), make_ticket()
    watcher = make_user()
    Follow.objects.create(user=watcher, ticket=followed)
    changes = solves([followed, other])

    for change in changes:
        handlers.on_ticket_change(change)
    one_by_one = rows()
    Notification.objects.all().delete()
    handlers.on_ticket_change.handle_many(changes)

    assert rows() == one_by_one == [(watcher.pk, followed.pk, "change", {"fields": ["status"]})]


def test_the_followers_of_a_batch_are_read_once(make_ticket):
    few, many = [make_ticket() for _ in range(2)], [make_ticket() for _ in range(8)]
    counts = []
    for tickets in (few, many):
        with CaptureQueriesContext(connection) as queries:
            handlers.on_ticket_change.handle_many(solves(tickets))
        counts.append(len(queries))
    assert counts == [1, 1]
