"""Replies on a Telegram conversation go back to the chat, from the bot it wrote to."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tiski.connectors.messaging.replies import latest_inbound, queue_reply
from tiski.connectors.routes import ReplyRoute, messaging_route
from tiski.tickets.models import Channel, MessageKind, Ticket, Via

from .models import TelegramBot

if TYPE_CHECKING:
    from tiski.tickets.changes import TicketChange


def route(ticket: Ticket) -> ReplyRoute | None:
    """Where a public reply goes (the composer shows it), or None: not a Telegram chat."""
    latest = latest_inbound(ticket, Channel.TELEGRAM)
    if latest is None:
        return None
    meta = latest.meta or {}
    bot = TelegramBot.objects.filter(pk=meta.get("account"), active=True).first()
    chat = str(meta.get("chat_id") or "")
    if bot is None or not chat:
        return None
    who = f"@{meta['username']}" if meta.get("username") else chat
    return messaging_route(
        channel=Channel.TELEGRAM, account=bot.pk, to=chat, to_label=who, from_label=str(bot)
    )


def on_ticket_change(change: TicketChange) -> None:
    """After commit: public replies written on the Telegram channel go into the outbox."""
    if change.via not in (Via.AGENT, Via.RULE, Via.API):
        return
    for message_id, kind in change.messages:
        if kind == MessageKind.PUBLIC:
            queue_reply(message_id, Channel.TELEGRAM)
