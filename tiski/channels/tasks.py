"""Background work of the channels app. Tasks take ids and are safe to retry."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task


@shared_task(name="tiski.channels.process_receipt", acks_late=True)
def process_receipt(receipt_id: int) -> str:
    from tiski.channels.email.intake import process_receipt as process

    return process(receipt_id).outcome


@shared_task(name="tiski.channels.sweep_pending")
def sweep_pending(older_than_seconds: int = 300) -> int:
    """Periodic: re-queue receipts stuck in pending."""
    from tiski.channels.email.intake import sweep_pending as sweep

    return sweep(timedelta(seconds=older_than_seconds))
