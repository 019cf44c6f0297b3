from __future__ import annotations

from celery import shared_task

from . import changes, routing


@shared_task(name="tiski.tickets.hand_over_absences")
def hand_over_absences() -> int:
    return routing.hand_over_absences()


@shared_task(name=changes.HANDLE_CHANGES_TASK)
def handle_changes(data: list[dict]) -> int:
    """The ticket-change handlers for changes a busy web process handed off
    (`changes.handed_off`); the number of changes handled."""
    handed = [changes.TicketChange.from_data(item) for item in data]
    changes.dispatch_many(handed)
    return len(handed)
