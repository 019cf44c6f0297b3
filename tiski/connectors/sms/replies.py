"""Replies on an SMS conversation go back by SMS, from the number the customer wrote to.

``sms_route`` decides, before the desk writes a reply, where it would go
(the composer shows it, with the length limit and an opt-out); the
ticket-change handler ``on_ticket_change`` puts each public reply written
on the SMS channel into the outbox after commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tiski.connectors.messaging import outbox
from tiski.connectors.models import OutboundMessage
from tiski.connectors.registry import CHANNELS
from tiski.tickets.models import Channel, Message, MessageKind, Ticket, Via

from . import optout
from .models import SmsAccount
from .transport import REASON_OPTED_OUT

if TYPE_CHECKING:
    from tiski.tickets.changes import TicketChange


@dataclass(frozen=True)
class SmsRoute:
    account: SmsAccount
    to: str
    opted_out: bool
    max_length: int | None


def sms_route(ticket: Ticket) -> SmsRoute | None:
    """Where a public reply on this ticket goes by SMS, or None: not an SMS conversation.

    The conversation is SMS when the customer's latest message came by SMS.
    """
    latest = (
        ticket.messages.filter(kind=MessageKind.CUSTOMER)
        .order_by("-created_at", "-id")
        .only("channel", "meta")
        .first()
    )
    if latest is None or latest.channel != Channel.SMS:
        return None
    meta = latest.meta or {}
    account = SmsAccount.objects.filter(pk=meta.get("account"), active=True).first()
    to = str(meta.get("from") or "")
    if account is None or not to:
        return None
    return SmsRoute(
        account=account,
        to=to,
        opted_out=optout.opted_out(to),
        max_length=CHANNELS[Channel.SMS].max_length,
    )


def on_ticket_change(change: TicketChange) -> None:
    """After commit: public replies written on the SMS channel go into the outbox."""
    if change.via not in (Via.AGENT, Via.RULE, Via.API):
        return
    for message_id, kind in change.messages:
        if kind == MessageKind.PUBLIC:
            queue_reply(message_id)


def queue_reply(message_id: int) -> OutboundMessage | None:
    message = Message.objects.select_related("ticket").filter(pk=message_id).first()
    if message is None or message.channel != Channel.SMS:
        return None
    if OutboundMessage.objects.filter(message=message).exists():
        return None  # the handler ran already (a repeated announcement)
    meta = message.meta or {}
    to = str(meta.get("to") or "")
    if not to:
        return None
    refused = REASON_OPTED_OUT % {"number": to} if optout.opted_out(to) else ""
    return outbox.queue_message(
        channel=Channel.SMS,
        account_id=meta.get("sms_account"),
        recipient=to,
        body=message.text,
        ticket=message.ticket,
        message=message,
        automatic=message.author_user_id is None,
        refused=refused,
    )
