"""Sending one Telegram outbox row: the registry's sender for the telegram channel."""

from __future__ import annotations

from tiski.connectors.models import OutboundMessage
from tiski.connectors.transport import TransportError

from . import api
from .inbound import provider_id
from .models import TelegramBot

REASON_NO_BOT = "The Telegram bot this message was to go from is deleted or not active."


def send(row: OutboundMessage) -> str:
    bot = TelegramBot.objects.filter(pk=row.account_id, active=True).first()
    if bot is None:
        raise TransportError(REASON_NO_BOT, permanent=True)
    # The recipient is the chat id; the id kept is chat-qualified like inbound ones,
    # so a customer's reply to this message threads by it.
    return provider_id(row.recipient, api.send_message(bot, row.recipient, row.body))
