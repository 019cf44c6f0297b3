"""Background work of the channels app. Tasks take ids and are safe to retry."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task


@shared_task(name="tiski.connectors.process_receipt", acks_late=True)
def process_receipt(receipt_id: int) -> str:
    from tiski.connectors.email.intake import process_receipt as process

    return process(receipt_id).outcome


@shared_task(name="tiski.connectors.sweep_pending")
def sweep_pending(older_than_seconds: int = 300) -> int:
    """Periodic: re-queue receipts stuck in pending."""
    from tiski.connectors.email.intake import sweep_pending as sweep

    return sweep(timedelta(seconds=older_than_seconds))


@shared_task(name="tiski.connectors.poll_imap", ignore_result=True)
def poll_imap(max_messages: int = 200) -> dict[str, int]:
    """Periodic: one pass over every active IMAP mailbox (errors are recorded per mailbox)."""
    from tiski.connectors.email.imap import poll_all

    results = poll_all(max_messages=max_messages)
    return {
        "mailboxes": len(results),
        "fetched": sum(r.fetched for r in results),
        "quarantined": sum(r.quarantined for r in results),
        "errors": sum(1 for r in results if r.error),
    }


@shared_task(name="tiski.connectors.send_outbound", acks_late=True)
def send_outbound(outbound_id: int) -> str:
    """Send one outbox row; a repeat or a concurrent run sends nothing more."""
    from tiski.connectors.email.outbound import send_outbound as send

    return send(outbound_id)


@shared_task(name="tiski.connectors.sweep_outbox")
def sweep_outbox() -> dict[str, int]:
    """Periodic: due retries, lost hand-offs, and sends interrupted by a crash."""
    from tiski.connectors.outbox import sweep_outbox as sweep

    return sweep()
