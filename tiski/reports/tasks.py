from __future__ import annotations

from celery import shared_task

from . import subscriptions


@shared_task(name="tiski.reports.send_subscriptions")
def send_subscriptions() -> int:
    return subscriptions.send_due()
