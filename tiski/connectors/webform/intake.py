"""Web form submissions: stored as a receipt, then turned into a ticket."""

from __future__ import annotations

import base64
import json
import logging
import uuid
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction

from tiski.connectors import outbox, receipts
from tiski.connectors.email import outbound
from tiski.connectors.messaging.inbound import Malformed
from tiski.connectors.messaging.intake import Delivered, Result, process
from tiski.connectors.models import InboundReceipt, OutboundKind
from tiski.customers.actions import get_or_create_contact
from tiski.customers.models import IdentityKind
from tiski.tickets import actions
from tiski.tickets.models import Channel, Ticket, TicketType, Via

log = logging.getLogger(__name__)

SOURCE = "web_form"


def accept_submission(
    data: dict[str, Any], files: list[tuple[str, bytes]], *, lang: str, ip: str
) -> InboundReceipt:
    """Store one checked submission durably (committed when this returns).

    ``data``: name, email, subject, description, type (a slug or ""),
    fields (custom field values as text), tags (a brand's); ``files``:
    (name, content) pairs.
    """
    payload = {
        "name": data["name"],
        "email": data["email"],
        "subject": data["subject"],
        "description": data["description"],
        "type": data.get("type") or "",
        "fields": data.get("fields") or {},
        "tags": data.get("tags") or [],
        "lang": lang,
        "ip": ip,
        "files": [
            {"name": name, "data": base64.b64encode(content).decode("ascii")}
            for name, content in files
        ],
    }
    raw = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    with transaction.atomic():
        receipt, _created = receipts.accept(
            source=SOURCE, key=uuid.uuid4().hex, raw=raw, channel=Channel.WEB_FORM, schedule=False
        )
    return receipt


def submit(
    data: dict[str, Any], files: list[tuple[str, bytes]], *, lang: str, ip: str
) -> Ticket | None:
    """Store the submission, then make its ticket now; None when that failed.

    A failure after the receipt is stored is logged and left to the sweeper,
    which processes pending receipts again: the customer's request waits, it
    is not lost.
    """
    receipt = accept_submission(data, files, lang=lang, ip=ip)
    try:
        result = process_receipt(receipt.pk)
    except Exception:  # noqa: BLE001 - stored; the sweeper retries it
        log.exception("web form receipt %s could not be processed now", receipt.pk)
        return None
    return result.receipt.ticket if result.receipt is not None else None


def process_receipt(receipt_id: int) -> Result:
    """The registry's intake for the web form; safe to repeat."""
    return process(receipt_id, _handle)


def _handle(receipt: InboundReceipt, raw: bytes) -> Delivered:
    try:
        payload = json.loads(raw)
        email, name = str(payload["email"]), str(payload["name"])
        subject, text = str(payload["subject"]), str(payload["description"])
        lang = str(payload.get("lang") or "fi")
        files = [
            actions.NewAttachment(
                filename=str(f["name"]) or "file",
                content=ContentFile(base64.b64decode(f["data"])),
            )
            for f in payload.get("files") or []
        ]
    except (ValueError, KeyError, TypeError) as exc:
        raise Malformed(f"Not a web form submission: {exc}") from exc
    ticket_type = None
    if payload.get("type"):
        ticket_type = TicketType.objects.filter(active=True, slug=payload["type"]).first()
    contact, _created = get_or_create_contact(IdentityKind.EMAIL, email, name=name, language=lang)
    ticket = actions.create_ticket(
        requester=contact,
        subject=subject,
        actor=None,
        via=Via.CHANNEL,
        channel=Channel.WEB_FORM,
        text=text,
        attachments=files,
        message_meta={"web_form": {"ip": payload.get("ip", ""), "language": lang}, "from": email},
        type=ticket_type,
        fields=payload.get("fields") or {},
        tags=[str(tag) for tag in payload.get("tags") or []],
    )
    acknowledge(ticket, email, lang)
    return Delivered(ticket.messages.order_by("created_at", "id").first(), created=True)


def acknowledge(ticket: Ticket, address: str, lang: str) -> None:
    """The same acknowledgement an email gets, from the desk's mailbox for the ticket.

    Email intake acknowledges only tickets that came by mail (it knows the
    mailbox written to); a web form has none, so the ticket's team's
    mailbox, else the desk's first, sends it, with that mailbox's own text.
    """
    mailbox = outbound.mailbox_for(ticket)
    if mailbox is None or not mailbox.auto_acknowledge:
        return
    subject, body = outbound.acknowledgement_text(mailbox, ticket, lang)
    first = ticket.messages.order_by("created_at", "id").first()
    outbox.queue_email(
        ticket=ticket,
        to=[address],
        subject=subject,
        text=body,
        kind=OutboundKind.ACKNOWLEDGEMENT,
        automatic=True,
        mailbox=mailbox,
        in_reply_to_message=first,
    )
