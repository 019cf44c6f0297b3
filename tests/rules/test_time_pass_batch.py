"""The time pass fires a chunk at a time: the same firings as ticket by ticket.

The shipped time rules run over the same backlog twice, once with every
action's many-tickets form (`apply_many`) and once without (`fire` per
ticket); the firing log, the events, the outbox rows, the notices and the
changes the handlers hear must be the same.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction

from tiski.connectors.models import OutboundEmail
from tiski.customers.models import Identity
from tiski.notifications.models import Notification
from tiski.rules import engine, registry
from tiski.rules.models import RuleFiring
from tiski.tickets import actions, changes
from tiski.tickets.models import Event, Status, Via

pytestmark = pytest.mark.django_db

HELSINKI = ZoneInfo("Europe/Helsinki")
MONDAY_9 = datetime(2025, 3, 10, 9, 0, tzinfo=HELSINKI)

heard: list[changes.TicketChange] = []


def record(change: changes.TicketChange) -> None:
    heard.append(change)


class Rollback(Exception):
    pass


@pytest.fixture
def backlog(make_ticket, make_contact, make_user, mailbox, time_machine, settings):
    """Pending, solved and idle tickets, some of which an action must refuse or skip."""
    settings.TISKI_TICKET_CHANGE_HANDLERS = [
        "tiski.rules.engine.on_ticket_change",
        "tests.rules.test_time_pass_batch.record",
    ]
    changes._handlers.cache_clear()
    time_machine.move_to(MONDAY_9, tick=False)
    agent = make_user(name="Antti Agentti")
    tickets = []
    for n in range(6):
        requester = make_contact(language="en" if n % 2 else "fi")
        ticket = make_ticket(requester=requester, assignee=agent if n % 3 else None)
        actions.update_ticket(ticket, actor=agent, via=Via.AGENT, status=Status.PENDING)
        tickets.append(ticket)
    # A parent with an open child cannot be solved: the rule skips it.
    child = make_ticket()
    actions.update_ticket(child, actor=agent, via=Via.AGENT, parent=tickets[2])
    # A requester without a deliverable address gets no reminder.
    Identity.objects.filter(contact=tickets[3].requester).update(undeliverable_at=MONDAY_9)
    # One customer with two pending tickets: both reminders count towards the cap.
    tickets[5].requester = tickets[4].requester
    tickets[5].save(update_fields=["requester"])
    solved = make_ticket(assignee=agent)
    actions.update_ticket(solved, actor=agent, via=Via.AGENT, status=Status.SOLVED)
    idle = make_ticket(assignee=agent)
    actions.update_ticket(idle, actor=agent, via=Via.AGENT, status=Status.OPEN)
    yield [*tickets, child, solved, idle]
    changes._handlers.cache_clear()


def _one_by_one(monkeypatch):
    """Every action without its many-tickets form: the pass calls `fire` per ticket."""
    for name, kind in list(registry.ACTIONS.items()):
        monkeypatch.setitem(registry.ACTIONS, name, dataclasses.replace(kind, apply_many=None))
    engine._compiled.clear()


def _snapshot(tickets, since):
    position = {ticket.pk: i for i, ticket in enumerate(tickets)}
    firings = sorted(
        (
            f.rule_name,
            position[f.ticket_id],
            f.effective,
            f.change_count,
            len(f.details["emails"]),
            len(f.details["notifications"]),
            f.details["skipped"],
            f.signature,
        )
        for f in RuleFiring.objects.all()
    )
    events = sorted(
        (position[e.ticket_id], e.kind, e.field, e.old_value, e.new_value, e.via, e.meta)
        for e in Event.objects.filter(pk__gt=since["event"])
    )
    mails = sorted(
        (position[m.ticket_id], m.to, m.subject, m.body_text, m.status, m.last_error)
        for m in OutboundEmail.objects.filter(pk__gt=since["mail"])
    )
    notices = sorted((position[n.ticket_id], n.user_id, n.text) for n in Notification.objects.all())
    changed = sorted(
        (position[c.ticket_id], c.via, sorted(c.fields.items()), c.tags_added) for c in heard
    )
    return firings, events, mails, notices, changed


def _last(model) -> int:
    return model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def test_a_chunk_at_a_time_fires_as_ticket_by_ticket(
    backlog, monkeypatch, time_machine, django_capture_on_commit_callbacks
):
    """Same firings, events, mails, notices and announced changes on both paths."""
    since = {"event": _last(Event), "mail": _last(OutboundEmail)}

    def passes():
        # Reminders after three days, solves after seven.
        fired = []
        for days in (5, 8):
            time_machine.move_to(MONDAY_9 + timedelta(days=days), tick=False)
            fired.append(engine.run_time_rules())
        return fired

    heard.clear()
    try:
        with transaction.atomic(), monkeypatch.context() as patched:
            _one_by_one(patched)
            with django_capture_on_commit_callbacks(execute=True):
                expected_counts = passes()
            expected = _snapshot(backlog, since)
            raise Rollback
    except Rollback:
        pass
    engine._compiled.clear()
    assert RuleFiring.objects.count() == 0  # rolled back: the same backlog again

    heard.clear()
    with django_capture_on_commit_callbacks(execute=True):
        counts = passes()
    got = _snapshot(backlog, since)

    assert counts == expected_counts
    for part, wanted in zip(got, expected, strict=True):
        assert part == wanted
    firings, events, mails, notices, changed = got
    # The backlog met every case: solves, a refused solve, reminders, a
    # skipped reminder, notices and closes.
    assert any(f[6] and "child tickets" in f[6][0] for f in firings)
    assert any(f[6] and "deliverable" in f[6][0] for f in firings)
    assert any(e[2] == "status" and e[4] == Status.SOLVED for e in events)
    assert len(mails) == 5 and notices and changed
