"""Editing an SLA policy's targets or calendar moves its open tickets' deadlines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.urls import reverse

from tiski.setup import sla_recalculation
from tiski.sla import services
from tiski.sla.models import Calendar, SlaPolicy, TicketSla
from tiski.tickets.models import Status, Ticket

MONDAY_10 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # 10:00 Helsinki


@pytest.fixture
def monday():
    with time_machine.travel(MONDAY_10, tick=False) as traveller:
        yield traveller


def form_of(policy: SlaPolicy, **changes: str) -> dict[str, str]:
    """The policy's edit form as posted unchanged, with ``changes`` on top."""
    data = {
        "name": policy.name,
        "active": "on",
        "calendar": str(policy.calendar_id),
        "warn_before_minutes": str(policy.warn_before_minutes),
    }
    for priority, kinds in policy.targets.items():
        for kind, minutes in kinds.items():
            hours, rest = divmod(minutes, 60)
            data[f"t_{priority}_{kind}_h"] = str(hours)
            data[f"t_{priority}_{kind}_m"] = str(rest)
    return {**data, **changes}


def _urgent_ticket(make_ticket, status=Status.OPEN) -> Ticket:
    ticket = make_ticket(priority="urgent")
    Ticket.objects.filter(pk=ticket.pk).update(status=status)
    services.refresh_tickets([ticket.pk])  # the after-commit handler, run by hand here
    return Ticket.objects.get(pk=ticket.pk)


def test_new_targets_move_the_open_tickets_deadlines(admin_client, monday, make_ticket):
    """Urgent first reply 1 h → 3 h: the open ticket's deadline moves to 13:00
    at once, and the Settings message says how many tickets were recalculated."""
    policy = SlaPolicy.objects.get(name__startswith="Perustaso")
    ticket = _urgent_ticket(make_ticket)
    assert ticket.queue_due_at == MONDAY_10 + timedelta(hours=1)
    response = admin_client.post(
        reverse("setup:sla-policy-edit", args=[policy.pk]),
        form_of(policy, t_urgent_first_reply_h="3", t_urgent_first_reply_m="0"),
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.queue_due_at == MONDAY_10 + timedelta(hours=3)
    assert TicketSla.objects.get(ticket=ticket).next_due_at == MONDAY_10 + timedelta(hours=3)
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert shown == [f"Saved “{policy.name}”. The deadlines of 1 open ticket were recalculated."]


def test_a_renamed_policy_recalculates_nothing(admin_client, monday, make_ticket):
    policy = SlaPolicy.objects.get(name__startswith="Perustaso")
    _urgent_ticket(make_ticket)
    response = admin_client.post(
        reverse("setup:sla-policy-edit", args=[policy.pk]), form_of(policy, name="Perus")
    )
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Saved “Perus”."]


def test_many_tickets_are_recalculated_in_the_background(
    admin_client, monday, make_ticket, monkeypatch, django_capture_on_commit_callbacks
):
    """Over the inline limit the edit only queues the work (after commit), and
    the task recalculates every open ticket under the policy."""
    monkeypatch.setattr(services, "RECALCULATE_INLINE", 1)
    policy = SlaPolicy.objects.get(name__startswith="Perustaso")
    first, second = _urgent_ticket(make_ticket), _urgent_ticket(make_ticket)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = admin_client.post(
            reverse("setup:sla-policy-edit", args=[policy.pk]),
            form_of(policy, t_urgent_first_reply_h="2", t_urgent_first_reply_m="0"),
        )
    assert len(callbacks) >= 1
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert shown[0].endswith(
        "The deadlines of 2 open tickets are being recalculated in the background."
    )
    for ticket in (first, second):
        ticket.refresh_from_db()
        assert ticket.queue_due_at == MONDAY_10 + timedelta(hours=2)


def test_solved_tickets_keep_their_history(monday, make_ticket):
    policy = SlaPolicy.objects.get(name__startswith="Perustaso")
    _urgent_ticket(make_ticket)
    _urgent_ticket(make_ticket, status=Status.SOLVED)
    assert len(services.open_tickets_under([policy.pk])) == 1


def test_new_calendar_hours_move_deadlines_counted_in_it(monday, make_ticket):
    """The shipped calendar opens at 8; open only from 12 on Mondays, the urgent
    ticket's one business hour starts at 12 and ends at 13:00 Helsinki."""
    calendar = Calendar.objects.get(is_default=True)
    ticket = _urgent_ticket(make_ticket)
    calendar.weekly_hours = {**calendar.weekly_hours, "0": "12:00-16:00"}
    calendar.save()
    words = sla_recalculation.after_calendar_edit(calendar, {"weekly_hours": ["", ""]})
    assert words == "The deadlines of 1 open ticket were recalculated."
    ticket.refresh_from_db()
    assert ticket.queue_due_at == datetime(2026, 11, 23, 11, 0, tzinfo=UTC)
