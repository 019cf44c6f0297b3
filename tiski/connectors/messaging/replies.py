"""Replies on a messaging conversation go back on its channel, through the outbox.

What SMS, Telegram and WhatsApp share: the conversation is on the channel
of the customer's latest message; ``latest_inbound`` finds it, and
``queue_reply`` puts one public reply written on that channel into the
outbox (``meta`` of the reply says the account and the recipient) with its
files, once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from tiski.connectors.models import OutboundMessage
from tiski.tickets import changes
from tiski.tickets.models import Message, MessageKind, Ticket

from . import outbox, outgoing

# Inside ``latest_inbound_once()``: each ticket's latest customer message by
# ticket id, so choosing a route reads it once, not once per messaging channel.
_remembered: ContextVar[dict[int, Message | None] | None] = ContextVar(
    "latest_inbound_remembered", default=None
)


@contextmanager
def latest_inbound_once() -> Iterator[None]:
    """Within the block, ``latest_inbound`` reads each ticket's latest customer
    message once (every messaging channel's route asks the same question)."""
    token = _remembered.set({})
    try:
        yield
    finally:
        _remembered.reset(token)


def latest_inbound(ticket: Ticket, channel: str) -> Message | None:
    """The customer's latest message when it came on ``channel``; else None."""
    remembered = _remembered.get()
    if remembered is not None and ticket.pk in remembered:
        latest = remembered[ticket.pk]
    else:
        latest = (
            ticket.messages.filter(kind=MessageKind.CUSTOMER)
            .order_by("-created_at", "-id")
            # ticket_id too: the related manager reads it on every row it returns.
            .only("ticket_id", "channel", "meta", "created_at")
            .first()
        )
        if remembered is not None:
            remembered[ticket.pk] = latest
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
