"""update_tickets: the same change for many tickets writes what update_ticket on each would.

Two identical sets of tickets; one goes through `update_ticket` ticket by
ticket, the other through one `update_tickets` call. Their events, ticket
columns, refusals and the changes the after-commit handlers receive must
be the same.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tiski.tickets import actions, changes
from tiski.tickets.models import Event, Priority, Status, Ticket, Via

seen: list[changes.TicketChange] = []


def record(change: changes.TicketChange) -> None:
    seen.append(change)


@pytest.fixture
def handlers(settings):
    seen.clear()
    changes._handlers.cache_clear()
    settings.TISKI_TICKET_CHANGE_HANDLERS = ["tests.tickets.test_update_tickets.record"]
    yield seen
    changes._handlers.cache_clear()


def _world(make_ticket, restricted, agents):
    """Tickets in every situation the changes below meet, in a fixed order."""
    member, _outsider = agents

    def ticket(status=None, **fields):
        made = make_ticket(**fields)
        if status is not None:
            actions.update_ticket(made, actor=None, via=Via.SYSTEM, status=status)
        return made

    parent = ticket(Status.OPEN)
    # An open child: the parent cannot be solved.
    actions.update_ticket(make_ticket(), actor=None, via=Via.SYSTEM, parent=parent)
    return [
        ticket(Status.OPEN),
        ticket(Status.PENDING, priority=Priority.HIGH),
        ticket(),  # new and unassigned: assigning opens it
        ticket(Status.SOLVED),
        ticket(Status.CLOSED),
        parent,
        ticket(Status.OPEN, team=restricted),
        ticket(Status.ON_HOLD, assignee=member),
    ]


CHANGES = {
    "solve": lambda agents: {"status": Status.SOLVED},
    "close": lambda agents: {"status": Status.CLOSED},
    "reopen": lambda agents: {"status": Status.OPEN},
    "priority": lambda agents: {"priority": Priority.URGENT},
    "assign": lambda agents: {"assignee": agents[0]},
    "assign an outsider": lambda agents: {"assignee": agents[1]},
    "unassign": lambda agents: {"assignee": None},
}


def _one_by_one(tickets, at, **change):
    refused = {}
    for ticket in tickets:
        try:
            actions.update_ticket(
                ticket, actor=None, via=Via.RULE, at=at, event_meta={"r": 1}, **change
            )
        except (ValidationError, PermissionDenied) as exc:
            refused[ticket.pk] = exc
    return refused


def _when(value, at):
    # The worlds were made moments apart: a time is the change's, or older.
    return None if value is None else "at" if value == at else "before"


def _snapshot(tickets, refused, since, at):
    """Everything both paths must agree on, with tickets named by position."""
    position = {ticket.pk: i for i, ticket in enumerate(tickets)}
    rows = Ticket.objects.in_bulk(list(position))
    columns = [
        (
            position[pk],
            row.status,
            row.priority,
            row.priority_rank,
            row.assignee_id,
            row.team_id,
            _when(row.status_changed_at, at),
            _when(row.solved_at, at),
            _when(row.closed_at, at),
            _when(row.updated_at, at),
        )
        for pk, row in sorted(rows.items())
    ]
    events = sorted(
        (
            position[e.ticket_id],
            e.kind,
            e.field,
            e.old_value,
            e.new_value,
            e.via,
            e.meta,
            e.created_at,
        )
        for e in Event.objects.filter(ticket_id__in=list(position), id__gt=since)
    )
    announced = sorted(
        (position[c.ticket_id], c.via, c.fields, c.tags_added, c.messages) for c in seen
    )
    # Refusals name the tickets' numbers, which differ between the two sets.
    reasons = {
        position[pk]: [re.sub(r"#\d+", "#N", text) for text in exc.messages]
        for pk, exc in refused.items()
    }
    return columns, events, announced, reasons


@pytest.mark.parametrize("name", list(CHANGES))
def test_update_tickets_writes_what_update_ticket_writes_one_by_one(
    name, handlers, make_ticket, make_team, make_user, django_capture_on_commit_callbacks
):
    """Same events, ticket columns, refusals and announced changes on both paths."""
    agents = (make_user(), make_user())
    restricted = make_team(restricted=True)
    restricted.members.add(agents[0])
    first = _world(make_ticket, restricted, agents)
    second = _world(make_ticket, restricted, agents)
    change = CHANGES[name](agents)
    at = timezone.now() + timedelta(hours=1)
    since = Event.objects.order_by("-id").values_list("id", flat=True).first()

    seen.clear()
    with django_capture_on_commit_callbacks(execute=True):
        refused = _one_by_one(first, at, **change)
    expected = _snapshot(first, refused, since, at)

    seen.clear()
    with django_capture_on_commit_callbacks(execute=True):
        done = actions.update_tickets(
            second, actor=None, via=Via.RULE, at=at, event_meta={"r": 1}, **change
        )
    got = _snapshot(second, done.refused, since, at)

    assert got[0] == expected[0]
    assert got[1] == expected[1]
    assert got[2] == expected[2]
    assert got[3] == expected[3]
    assert expected[1] or expected[3]  # the change did something (or was refused) somewhere
    # The in-memory tickets were changed as update_ticket changes its one.
    assert [t.status for t in second] == [t.status for t in first]
    assert [_when(t.updated_at, at) for t in second] == [_when(t.updated_at, at) for t in first]
    # The events handed back are the ones written, per ticket.
    returned = sorted(e.pk for events in done.events.values() for e in events)
    assert returned == sorted(
        Event.objects.filter(ticket__in=second, id__gt=since).values_list("pk", flat=True)
    )


def test_later_tickets_of_a_batch_see_earlier_ones_solved(
    make_ticket, django_capture_on_commit_callbacks
):
    """A parent after its last open child in the batch may be solved, as one by one."""
    parent = make_ticket()
    child = make_ticket()
    actions.update_ticket(child, actor=None, via=Via.SYSTEM, parent=parent)
    with django_capture_on_commit_callbacks(execute=True):
        done = actions.update_tickets(
            [child, parent], actor=None, via=Via.RULE, status=Status.SOLVED
        )
    assert done.refused == {}
    assert set(
        Ticket.objects.filter(pk__in=[parent.pk, child.pk]).values_list("status", flat=True)
    ) == {Status.SOLVED}
    # The parent still heard that its last child was solved.
    assert Event.objects.filter(ticket=parent, field="children_solved").exists()


def test_many_tickets_cost_a_few_statements(make_ticket, django_capture_on_commit_callbacks):
    """Solving thirty tickets does not cost a statement or two per ticket."""
    tickets = [make_ticket() for _ in range(30)]
    with CaptureQueriesContext(connection) as queries:
        done = actions.update_tickets(tickets, actor=None, via=Via.RULE, status=Status.SOLVED)
    assert len(done.events) == 30
    assert len(queries) < 15
    assert Ticket.objects.filter(status=Status.SOLVED).count() == 30
