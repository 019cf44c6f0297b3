"""The outbox of every channel but email: a row first, then the channel's sender.

``queue_message`` writes an `OutboundMessage` and queues its sending after
the commit; ``send_message`` claims it and calls the channel's sender (its
dotted path in the registry), which returns the provider's message id or
raises `TransportError`. Claiming, backoff, the Retry button and the sweep
are the email outbox's own code (``connectors/sending.py``). The
provider's delivery and read receipts arrive through ``record_status``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from tiski.connectors import sending
from tiski.connectors.models import MessageStatus, OutboundMessage
from tiski.connectors.registry import CHANNELS
from tiski.connectors.transport import TransportError
from tiski.tickets.models import Message, Ticket

log = logging.getLogger(__name__)

SEND_TASK = "tiski.connectors.send_message"
REASON_INTERRUPTED = (
    "Sending was interrupted (the worker stopped) and it is not known whether the provider "
    "accepted the message. Check with the customer, or retry to send it again."
)
# Receipts may arrive out of order; a row only moves forward along this.
_ORDER = {
    MessageStatus.SENT: 1,
    MessageStatus.DELIVERED: 2,
    MessageStatus.READ: 3,
}


def queue_message(
    *,
    channel: str,
    account_id: int | None,
    recipient: str,
    body: str,
    ticket: Ticket | None = None,
    message: Message | None = None,
    attachments: Sequence[dict] = (),
    automatic: bool = False,
    refused: str = "",
    now: datetime | None = None,
) -> OutboundMessage:
    """Write the row and send it after commit; ``refused``: store it failed with this reason
    (an opted-out number), so the conversation says why nothing went out."""
    now = now or timezone.now()
    with transaction.atomic():
        row = OutboundMessage.objects.create(
            channel=channel,
            account_id=account_id,
            ticket=ticket,
            message=message,
            recipient=recipient,
            body=body,
            attachments=list(attachments),
            automatic=automatic,
            status=MessageStatus.FAILED if refused else MessageStatus.QUEUED,
            permanent_failure=bool(refused),
            last_error=refused[:5000],
            created_at=now,
            next_attempt_at=now,
        )
        if not refused:
            row_id = row.pk
            transaction.on_commit(lambda: sending.enqueue(SEND_TASK, row_id))
    return row


def send_message(row_id: int) -> str:
    """Send one row if it is due; safe to call any number of times, concurrently."""
    row, why_not = sending.claim(OutboundMessage, row_id, timezone.now())
    if row is None:
        return why_not
    info = CHANNELS.get(row.channel)
    try:
        if info is None or not info.sender:
            raise TransportError(f"The {row.channel} channel cannot send.", permanent=True)
        provider_id = import_string(info.sender)(row)
    except TransportError as exc:
        return sending.record_failure(
            row, str(exc), permanent=exc.permanent, retry_after=exc.retry_after
        )
    except Exception as exc:  # noqa: BLE001 - a bug must not lose the row
        log.exception("Outgoing %s message %s could not be sent", row.channel, row.pk)
        return sending.record_failure(row, f"{type(exc).__name__}: {exc}", permanent=False)
    OutboundMessage.objects.filter(pk=row.pk, status=MessageStatus.SENDING).update(
        status=MessageStatus.SENT,
        sent_at=timezone.now(),
        provider_message_id=(provider_id or "")[:200],
        last_error="",
        permanent_failure=False,
    )
    return sending.SendResult.SENT


def retry(row: OutboundMessage) -> bool:
    """The agent's Retry on a failed message."""
    return sending.retry(OutboundMessage, row.pk, SEND_TASK)


def sweep(now: datetime | None = None) -> dict[str, int]:
    return sending.sweep(OutboundMessage, SEND_TASK, interrupted=REASON_INTERRUPTED, now=now)


def record_status(
    channel: str, provider_message_id: str, status: str, *, error: str = "", at=None
) -> bool:  # type: ignore[no-untyped-def]
    """A provider's delivery receipt: sent / delivered / read / failed; True if a row moved."""
    if not provider_message_id:
        return False
    at = at or timezone.now()
    rows = OutboundMessage.objects.filter(channel=channel, provider_message_id=provider_message_id)
    row = rows.first()
    if row is None:
        return False
    if status == MessageStatus.FAILED:
        if row.status in (MessageStatus.DELIVERED, MessageStatus.READ):
            return False
        rows.update(status=MessageStatus.FAILED, permanent_failure=True, last_error=error[:5000])
        return True
    if _ORDER.get(status, 0) <= _ORDER.get(row.status, 0):
        return False
    changes: dict = {"status": status}
    if status == MessageStatus.DELIVERED:
        changes["delivered_at"] = at
    if status == MessageStatus.READ:
        changes["read_at"] = at
    rows.update(**changes)
    return True
