"""Callbacks follow their tickets' status for a batch of changes as for one."""

from __future__ import annotations

import pytest

from tiski.connectors.phone import services
from tiski.connectors.phone.models import Callback, PhoneLine
from tiski.tickets.changes import TicketChange
from tiski.tickets.models import Via

pytestmark = pytest.mark.django_db


def status_change(ticket, old: str, new: str) -> TicketChange:
    return TicketChange(
        ticket_id=ticket.pk, via=Via.RULE, actor_id=None, fields={"status": (old, new)}
    )


def test_a_batch_resolves_and_reopens_callbacks_in_two_statements(
    make_ticket, django_assert_num_queries
):
    line = PhoneLine.objects.create(name="Vaihde", number="+358201234567")
    solved, reopened, untouched = make_ticket(), make_ticket(), make_ticket()
    for n, ticket in enumerate((solved, reopened, untouched)):
        Callback.objects.create(line=line, number=f"+35840123456{n}", ticket=ticket)
    Callback.objects.filter(ticket=reopened).update(resolved_at="2025-01-01T00:00:00Z")

    with django_assert_num_queries(2):
        services.on_ticket_change.handle_many(
            [
                status_change(solved, "pending", "solved"),
                status_change(reopened, "closed", "open"),
                TicketChange(ticket_id=untouched.pk, via=Via.RULE, actor_id=None),
            ]
        )

    resolved = dict(Callback.objects.values_list("ticket_id", "resolved_at"))
    assert resolved[solved.pk] is not None
    assert resolved[reopened.pk] is None
    assert resolved[untouched.pk] is None


def test_a_ticket_changed_twice_in_a_batch_follows_its_changes_in_order(make_ticket):
    line = PhoneLine.objects.create(name="Vaihde", number="+358201234567")
    ticket = make_ticket()
    Callback.objects.create(line=line, number="+358401234567", ticket=ticket)

    services.on_ticket_change.handle_many(
        [status_change(ticket, "open", "solved"), status_change(ticket, "solved", "open")]
    )

    assert Callback.objects.get().resolved_at is None
