"""Replies on a messaging conversation go back on its channel, through the outbox.

What SMS, Telegram and WhatsApp share: the conversation is on the channel
of the customer's latest message; ``latest_inbound`` finds it, and
``queue_reply`` puts one public reply written on that channel into the
outbox (``meta`` of the reply says the account and the recipient) with its
files, once.
"""

from __future__ import annotations

from tiski.connectors.models import OutboundMessage
from tiski.connectors.routes import recent_customer_messages
from tiski.tickets import changes
from tiski.tickets.models import Message, Ticket

from . import outbox, outgoing


def latest_inbound(ticket: Ticket, channel: str) -> Message | None:
    """The customer's latest message when it came on ``channel``; else None."""
    latest = next(iter(recent_customer_messages(ticket)), None)
    return latest if latest is not None and latest.channel == channel else None


def queue_reply(message_id: int, channel: str, *, refused: str = "") -> OutboundMessage | None:
    message = changes.message(message_id)
    if message is None or message.channel != channel:
        return None
    if OutboundMessage.objects.filter(message=message).exists():
        return None  # the handler ran already (a repeated announcement)
    meta = message.meta or {}
    to = str(meta.get("to") or "")
    if not to:
        return None
    return outbox.queue_message(
        channel=channel,
        account_id=meta.get("account"),
        recipient=to,
        body=message.text,
        ticket=message.ticket,
        message=message,
        attachments=outgoing.listed(message),
        automatic=message.author_user_id is None,
        refused=refused,
    )
