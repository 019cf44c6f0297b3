"""Every per-ticket fact on hand-built histories with known answers."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from tiski.reports import facts
from tiski.reports.models import TicketFact

from .conftest import at

HOUR = 3600


def fact(ticket) -> TicketFact:
    return TicketFact.objects.get(ticket=ticket)


def test_weekend_and_holiday_count_in_calendar_time_but_not_in_business_time(history):
    """Fri 15:00 -> Wed 09:00 over a weekend and Epiphany: 114 h, of which
    office hours 8-16 hold Fri 1 h + Mon 8 h + Wed 1 h = 10 h."""
    f = fact(history.weekend)
    assert f.first_reply_seconds == 114 * HOUR
    assert f.first_reply_business == 10 * HOUR
    assert f.resolution_seconds == 115 * HOUR
    assert f.resolution_business == 11 * HOUR


def test_ticket_reopened_twice(history):
    f = fact(history.reopened)
    assert f.reopen_count == 2
    assert f.first_reopened_at == at(2026, 1, 12, 12)
    assert f.solved_at == at(2026, 1, 13, 10, 30)  # the final solve
    assert f.resolution_seconds == int(25.5 * HOUR)
    assert f.resolution_business == int(9.5 * HOUR)  # Mon 9-16 + Tue 8-10:30
    # Waiting on us: 9-11, 12-14 and Tue 9-10:30; solved time in between is not.
    assert f.wait_seconds == int(5.5 * HOUR)
    assert f.replies == 3
    assert f.next_reply_seconds == [HOUR, HOUR]
    assert f.first_reply_seconds == HOUR


def test_pending_time_is_not_requester_wait_time(history):
    f = fact(history.pending)
    assert f.resolution_seconds == int(49.5 * HOUR)
    assert f.wait_seconds == int(1.5 * HOUR)  # 9:00-9:30 and Wed 9:30-10:30
    assert f.wait_business == int(1.5 * HOUR)
    assert f.reopen_count == 0  # pending -> open is no reopen


def test_merged_ticket_is_marked_and_its_moved_messages_do_not_count_on_the_target(history):
    assert fact(history.merged).merged is True
    target = fact(history.merge_target)
    assert target.merged is False
    assert target.first_reply_seconds == 2 * HOUR


def test_recount_equals_stored_facts_and_verify_finds_tampering(history):
    assert list(facts.verify()) == []
    TicketFact.objects.filter(ticket=history.pending).update(wait_seconds=1)
    differences = list(facts.verify())
    assert len(differences) == 1 and "wait_seconds" in differences[0]
    with pytest.raises(SystemExit) as exit_info:
        call_command("report", verify=True)
    assert exit_info.value.code == 1
    facts.rebuild()
    assert list(facts.verify()) == []


def test_the_change_handler_keeps_facts_current(
    db, make_ticket, django_capture_on_commit_callbacks
):
    from tiski.tickets import actions
    from tiski.tickets.models import Via

    with django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket()
    assert fact(ticket).status == "new"
    with django_capture_on_commit_callbacks(execute=True):
        actions.update_ticket(ticket, actor=None, via=Via.AGENT, status="solved")
    assert fact(ticket).solved_at is not None
