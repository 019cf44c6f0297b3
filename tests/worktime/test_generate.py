"""Generated handling time is plausible and stays within the counting rules."""

from __future__ import annotations

from django.db.models import Max, Min, Sum

from tiski.operations.generate import generate
from tiski.tickets.models import Ticket
from tiski.worktime.counting import SESSION_CAP
from tiski.worktime.generate import generate_handling_time
from tiski.worktime.models import EntrySource, WorkEntry


def test_generated_time_belongs_to_assignees_and_sits_in_the_tickets_life(db):
    # generate-data writes the agents' time itself (one call at its end).
    generate(120, seed=3, agents=6, teams=2)
    assert WorkEntry.objects.count() > 100
    measured = WorkEntry.objects.filter(source=EntrySource.MEASURED)
    bounds = measured.aggregate(low=Min("seconds"), high=Max("seconds"))
    assert 15 <= bounds["low"] and bounds["high"] <= SESSION_CAP
    for entry in WorkEntry.objects.select_related("ticket")[:300]:
        assert entry.agent_id == entry.ticket.assignee_id
        assert entry.ticket.created_at <= entry.at <= entry.ticket.updated_at
    assert WorkEntry.objects.filter(source=EntrySource.MANUAL).exists()
    # Only tickets with an assignee have time.
    assert not WorkEntry.objects.filter(ticket__assignee__isnull=True).exists()
    # An average answered ticket takes minutes, not seconds or days.
    tickets = Ticket.objects.filter(work_entries__isnull=False).distinct().count()
    average = WorkEntry.objects.aggregate(s=Sum("seconds"))["s"] / tickets
    assert 120 < average < 3600
    # The same seed writes the same desk.
    first = list(measured.order_by("ticket_id", "at").values_list("ticket_id", "seconds")[:20])
    WorkEntry.objects.all().delete()
    generate_handling_time(seed=3)
    again = list(
        WorkEntry.objects.filter(source=EntrySource.MEASURED)
        .order_by("ticket_id", "at")
        .values_list("ticket_id", "seconds")[:20]
    )
    assert first == again
