from __future__ import annotations

from celery import shared_task

from . import stale, subscriptions


@shared_task(name="tiski.reports.send_subscriptions")
def send_subscriptions() -> int:
    return subscriptions.send_due()


@shared_task(name=stale.ORGANISATION_TASK)
def refresh_contact_facts(contact_ids: list[int]) -> int:
    return stale.refresh_contacts(contact_ids)


@shared_task(name=stale.CALENDAR_TASK)
def refresh_calendar_facts(calendar_id: int) -> int:
    return stale.refresh_calendar(calendar_id)
