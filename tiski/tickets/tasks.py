from __future__ import annotations

from celery import shared_task

from . import routing


@shared_task(name="tiski.tickets.hand_over_absences")
def hand_over_absences() -> int:
    return routing.hand_over_absences()
