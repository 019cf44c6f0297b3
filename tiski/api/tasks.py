"""Background work of the API: bulk jobs, webhook deliveries and their sweep."""

from __future__ import annotations

from celery import shared_task

from . import idempotency, job_runs, oauth
from .webhooks import delivery


@shared_task(name="tiski.api.bulk_update")
def bulk_update(job_id: int) -> str | None:
    return job_runs.run(job_id)


@shared_task(name="tiski.api.zendesk_job")
def zendesk_job(job_id: int) -> str | None:
    """/api/v2/'s update_many and create_many."""
    return job_runs.run(job_id)


@shared_task(name="tiski.api.deliver_webhook")
def deliver_webhook(delivery_id: int) -> str | None:
    return delivery.deliver(delivery_id)


@shared_task(name="tiski.api.sweep_webhooks")
def sweep_webhooks() -> int:
    """Deliveries due for a retry (or claimed by a worker that died), old replays,
    client tokens long expired, and bulk jobs left unfinished (job_runs)."""
    due = delivery.due_ids()
    for delivery_id in due:
        delivery.deliver(delivery_id)
    idempotency.forget_expired()
    oauth.forget_expired()
    job_runs.sweep_jobs()
    return len(due)
