"""The durable intake every channel goes through: ``accept`` is the only way in.

A source (IMAP poller, SMTP receiver, a provider's webhook, the import)
calls ``accept`` with the raw bytes it got and a key unique per delivery
within its source (a provider's message id, an IMAP UID). The row and the
raw file are written in the caller's transaction and processing is queued
after the commit, so the source may acknowledge only what is durable. The
same (source, key) again stores nothing: a provider retrying a webhook
makes one message.

``quarantine=reason`` stores the payload set aside (a malformed webhook,
an oversized mail) with the reason, visible to admins, never processed.
"""

from __future__ import annotations

import hashlib
import logging

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone

from tiski.connectors.models import InboundReceipt, Mailbox, ReceiptStatus
from tiski.core.tasks import enqueue as enqueue_task

log = logging.getLogger(__name__)

PROCESS_TASK = "tiski.connectors.process_receipt"
_FILE_NAMES = {"email": "message.eml"}


def accept(
    *,
    source: str,
    key: str,
    raw: bytes,
    channel: str = "email",
    mailbox: Mailbox | None = None,
    quarantine: str = "",
    size: int | None = None,
    suppress_automatic_mail: bool = False,
    schedule: bool = True,
) -> tuple[InboundReceipt, bool]:
    """Store the raw payload durably; (receipt, created).

    ``schedule=False`` leaves processing to the caller (the import command
    processes in order, synchronously). ``size`` overrides the stored size
    (a mail quarantined by its announced size without downloading it).
    """
    key = key[:300]
    existing = InboundReceipt.objects.filter(source=source, key=key).first()
    if existing is not None:
        return existing, False
    receipt = InboundReceipt(
        channel=channel,
        source=source,
        key=key,
        mailbox=mailbox,
        size=len(raw) if size is None else size,
        suppress_automatic_mail=suppress_automatic_mail,
    )
    if quarantine:
        receipt.status = ReceiptStatus.QUARANTINED
        receipt.reason = quarantine[:5000]
        receipt.processed_at = timezone.now()
    try:
        with transaction.atomic():
            name = _FILE_NAMES.get(channel) or (
                "payload.json" if raw[:1] in (b"{", b"[") else "payload.txt"
            )
            receipt.raw.save(name, ContentFile(raw), save=False)
            receipt.save()
    except IntegrityError:
        # Another worker stored the same delivery a moment ago: theirs counts.
        if receipt.raw:
            receipt.raw.storage.delete(receipt.raw.name)
        return InboundReceipt.objects.get(source=source, key=key), False
    if quarantine:
        log.warning("Quarantined %s receipt %s: %s", channel, receipt.pk, quarantine)
    elif schedule:
        receipt_id = receipt.pk
        transaction.on_commit(lambda: enqueue(receipt_id))
    return receipt, True


def enqueue(receipt_id: int) -> None:
    """Hand the receipt to a worker; a lost hand-off is picked up by the sweeper."""
    try:
        enqueue_task(PROCESS_TASK, receipt_id)
    except Exception:  # noqa: BLE001 - the row is committed; the sweeper retries it
        log.exception("Could not queue inbound receipt %s", receipt_id)


def read_raw(receipt: InboundReceipt) -> bytes:
    with receipt.raw.open("rb") as handle:
        return handle.read()


def refuse_malformed(*, channel: str, source: str, raw: bytes, reason: str) -> HttpResponse:
    """A webhook body the channel cannot read: kept in quarantine (once per body,
    keyed by its hash, so a provider's retries store nothing new) and answered 400."""
    with transaction.atomic():
        accept(
            channel=channel,
            source=source,
            key="malformed:" + hashlib.sha256(raw).hexdigest(),
            raw=raw,
            quarantine=reason,
        )
    return HttpResponse("malformed; kept in quarantine", status=400, content_type="text/plain")
