"""Background work of the channels app. Tasks take ids and are safe to retry."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)


@shared_task(name="tiski.connectors.process_receipt", acks_late=True)
def process_receipt(receipt_id: int) -> str:
    """Process one receipt with its channel's intake, named in the registry."""
    from tiski.connectors.models import InboundReceipt
    from tiski.connectors.registry import CHANNELS

    channel = InboundReceipt.objects.filter(pk=receipt_id).values_list("channel", flat=True).first()
    info = CHANNELS.get(channel or "")
    if info is None or not info.intake:
        return "unchanged"
    return import_string(info.intake)(receipt_id).outcome


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


@shared_task(name="tiski.connectors.send_outbound_many", acks_late=True)
def send_outbound_many(outbound_ids: list[int]) -> list[str]:
    """`send_outbound` for each row of a batch queued together, in order.

    A time-rule pass queues thousands of mails at once; one message per
    batch spares the pass Celery's per-message work. Each row is claimed
    and sent on its own as by `send_outbound`, so a repeat sends nothing
    more, and a row that raises loses only itself (the sweep queues it again).
    """
    from tiski.connectors.email.outbound import send_outbound as send

    results: list[str] = []
    for outbound_id in outbound_ids:
        try:
            results.append(send(outbound_id))
        except Exception:  # noqa: BLE001 - the others in the batch still go
            log.exception("Outgoing email %s failed", outbound_id)
            results.append("error")
    return results


@shared_task(name="tiski.connectors.send_message", acks_late=True)
def send_message(row_id: int) -> str:
    """Send one non-email outbox row (SMS, ...); a repeat sends nothing more."""
    from tiski.connectors.messaging.outbox import send_message as send

    return send(row_id)


@shared_task(name="tiski.connectors.sweep_outbox")
def sweep_outbox() -> dict[str, int]:
    """Periodic, both outboxes: due retries, lost hand-offs, sends interrupted by a crash."""
    from tiski.connectors.messaging.outbox import sweep as sweep_messages
    from tiski.connectors.outbox import sweep_outbox as sweep

    mail, messages = sweep(), sweep_messages()
    return {key: mail[key] + messages[key] for key in mail}
