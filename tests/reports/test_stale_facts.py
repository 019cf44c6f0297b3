"""Facts an organisation or calendar edit makes stale are recounted by a queued task."""

from __future__ import annotations

from tiski.customers.models import Organisation
from tiski.reports import facts, rollups
from tiski.reports.models import TicketFact
from tiski.sla.models import Calendar

HOUR = 3600


def fact(ticket) -> TicketFact:
    return TicketFact.objects.get(pk=ticket.pk)


def test_a_contact_moving_to_an_organisation_moves_its_tickets_facts(
    history, django_capture_on_commit_callbacks
):
    person = history.merge_target.requester
    firm = Organisation.objects.create(name="Oy Esimerkki Ab")
    assert fact(history.merge_target).organisation_id is None
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        person.organisation = firm
        person.save()
    assert callbacks  # queued after the commit, not run inside the edit
    assert fact(history.merge_target).organisation_id == firm.pk
    assert fact(history.merged).organisation_id == firm.pk
    assert list(facts.verify()) == []

    with django_capture_on_commit_callbacks(execute=True):
        firm.delete()
    assert fact(history.merge_target).organisation_id is None
    assert list(facts.verify()) == []


def test_saving_a_contact_without_moving_it_queues_nothing(
    history, django_capture_on_commit_callbacks
):
    person = history.weekend.requester
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        person.notes = "Soittaa mieluummin"
        person.save()
    assert callbacks == []


def test_editing_the_calendar_recounts_business_times(history, django_capture_on_commit_callbacks):
    # Friday 2.1. 15:00 -> Wednesday 7.1. 09:00 in the built-in office hours
    # (Mon-Fri 8-16, Finnish holidays): Fri 1 h + Mon 8 h + (Epiphany) + Wed 1 h.
    assert fact(history.weekend).first_reply_business == 10 * HOUR
    with django_capture_on_commit_callbacks(execute=True):
        calendar = Calendar.objects.create(
            name="Aamupäivät",
            weekly_hours={str(d): "08:00-12:00" for d in range(5)},
            is_default=True,
        )
    # Mornings only: Fri 0 h + Mon 4 h + Wed 1 h.
    assert fact(history.weekend).first_reply_business == 5 * HOUR
    with django_capture_on_commit_callbacks(execute=True):
        calendar.weekly_hours = {str(d): "08:00-16:00" for d in range(5)}
        calendar.closed_dates = ["2026-01-05"]
        calendar.save()
    # The Monday closed as well: Fri 1 h + Wed 1 h.
    assert fact(history.weekend).first_reply_business == 2 * HOUR
    assert list(facts.verify()) == []
    assert list(rollups.verify()) == []
