"""Messaging receipts to tickets: one contact per number, one thread per conversation.

``process(receipt_id, handle)`` is what a channel's intake calls with its own
``handle(receipt, raw)``: parse the payload (``Malformed`` puts it in
quarantine), then ``deliver_inbound`` the normalised message. Processing is
idempotent: only a pending receipt is processed, under its row lock, and
the ticket writes happen in the same transaction as the receipt's update.

Threading, in order: the channel's reply id (the provider id of one of our
or the customer's messages), the channel's own conversation id, then the
contact's unsolved ticket on the same channel with a message within
``TISKI_MESSAGING_THREAD_HOURS`` (24 by default); otherwise a new ticket.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from tiski.connectors.models import InboundReceipt, OutboundMessage, ReceiptStatus
from tiski.connectors.receipts import read_raw
from tiski.customers.actions import get_or_create_contact
from tiski.customers.models import Contact
from tiski.tickets import actions
from tiski.tickets.models import UNSOLVED_STATUSES, Message, MessageKind, Ticket, Via

from .inbound import InboundMessage, Malformed

log = logging.getLogger(__name__)

DEFAULT_THREAD_HOURS = 24
SUBJECT_LENGTH = 80


class Outcome:
    CREATED = "created"
    THREADED = "threaded"
    QUARANTINED = "quarantined"
    HANDLED = "handled"  # processed without a message (an opt-out, a part of a long SMS)
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class Result:
    receipt: InboundReceipt | None
    outcome: str


@dataclass(frozen=True)
class Delivered:
    message: Message
    created: bool


Handler = Callable[[InboundReceipt, bytes], "Delivered | str"]


def process(receipt_id: int, handle: Handler) -> Result:
    """Process one pending receipt with the channel's ``handle``; safe to repeat."""
    with transaction.atomic():
        receipt = InboundReceipt.objects.select_for_update().filter(pk=receipt_id).first()
        if receipt is None or receipt.status != ReceiptStatus.PENDING:
            return Result(receipt, Outcome.UNCHANGED)
        receipt.attempts += 1
        try:
            with actions.unit_of_work():
                done = handle(receipt, read_raw(receipt))
        except Malformed as exc:
            receipt.status, receipt.reason = ReceiptStatus.QUARANTINED, str(exc)[:5000]
            outcome = Outcome.QUARANTINED
        else:
            receipt.status = ReceiptStatus.PROCESSED
            if isinstance(done, Delivered):
                receipt.message, receipt.ticket = done.message, done.message.ticket
                outcome = Outcome.CREATED if done.created else Outcome.THREADED
            else:
                receipt.reason, outcome = done, Outcome.HANDLED
        receipt.processed_at = timezone.now()
        receipt.save()
    return Result(receipt, outcome)


# --- threading ---------------------------------------------------------------------


def thread_window() -> timedelta:
    hours = getattr(settings, "TISKI_MESSAGING_THREAD_HOURS", DEFAULT_THREAD_HOURS)
    return timedelta(hours=float(hours))


def find_ticket(msg: InboundMessage, contact: Contact, *, now: datetime) -> Ticket | None:
    """The ticket this message continues, or None for a new one (see the module doc)."""
    unsolved = Ticket.objects.filter(status__in=UNSOLVED_STATUSES)
    if msg.reply_to_id:
        replied = (
            Message.objects.filter(channel=msg.channel, external_id=msg.reply_to_id)
            .values_list("ticket_id", flat=True)
            .first()
        ) or (
            OutboundMessage.objects.filter(channel=msg.channel, provider_message_id=msg.reply_to_id)
            .values_list("ticket_id", flat=True)
            .first()
        )
        ticket = unsolved.filter(pk=replied).first() if replied else None
        if ticket is not None:
            return ticket
    if msg.conversation_id:
        ticket_id = (
            Message.objects.filter(channel=msg.channel, meta__conversation_id=msg.conversation_id)
            .order_by("-created_at")
            .values_list("ticket_id", flat=True)
            .first()
        )
        ticket = unsolved.filter(pk=ticket_id).first() if ticket_id else None
        if ticket is not None:
            return ticket
    return (
        unsolved.filter(
            requester=contact,
            messages__channel=msg.channel,
            messages__created_at__gte=now - thread_window(),
        )
        .order_by("-updated_at", "-id")
        .first()
    )


# --- writing -----------------------------------------------------------------------


def deliver_inbound(
    msg: InboundMessage, *, team=None, ticket_type=None, now: datetime | None = None
) -> Delivered:  # type: ignore[no-untyped-def]
    """Write ``msg`` on the ticket it continues, or open one; through the ticket actions."""
    now = now or timezone.now()
    contact, _created = get_or_create_contact(
        msg.sender_kind, msg.sender_value, name=msg.sender_name
    )
    meta = {
        "from": msg.sender_value,
        "account": msg.account,
        "provider_id": msg.provider_id,
        **({"conversation_id": msg.conversation_id} if msg.conversation_id else {}),
        **({"reply_to_id": msg.reply_to_id} if msg.reply_to_id else {}),
        **({"sent_at": msg.sent_at.isoformat()} if msg.sent_at else {}),
        **msg.meta,
    }
    attachments = [
        actions.NewAttachment(a.filename, ContentFile(a.data, name=a.filename), a.content_type)
        for a in msg.attachments
    ]
    ticket = find_ticket(msg, contact, now=now)
    if ticket is not None:
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        message = actions.add_message(
            ticket,
            kind=MessageKind.CUSTOMER,
            actor=None,
            via=Via.CHANNEL,
            channel=msg.channel,
            author_contact=contact,
            text=msg.text,
            attachments=attachments,
            external_id=msg.provider_id,
            meta=meta,
        )
        return Delivered(message, created=False)
    ticket = actions.create_ticket(
        requester=contact,
        subject=subject_of(msg.text),
        actor=None,
        via=Via.CHANNEL,
        channel=msg.channel,
        text=msg.text,
        type=ticket_type,
        team=team,
        attachments=attachments,
        external_id=msg.provider_id,
        message_meta=meta,
    )
    return Delivered(ticket.messages.order_by("id").first(), created=True)


def subject_of(text: str) -> str:
    """A new ticket's subject: the message's first line, shortened at a word."""
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    if len(line) <= SUBJECT_LENGTH:
        return line
    return line[: SUBJECT_LENGTH - 1].rsplit(" ", 1)[0] + "…"
