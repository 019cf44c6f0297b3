"""Sending one Telegram outbox row: the registry's sender for the telegram channel.

Files go by sendPhoto or sendDocument (multipart), then the text, or the
text as the last file's caption when it fits.
"""

from __future__ import annotations

from tiski.connectors.messaging import outgoing
from tiski.connectors.models import OutboundMessage
from tiski.connectors.registry import CHANNELS
from tiski.connectors.transport import TransportError

from . import api
from .inbound import provider_id
from .models import TelegramBot

REASON_NO_BOT = "The Telegram bot this message was to go from is deleted or not active."


def send(row: OutboundMessage) -> str:
    bot = TelegramBot.objects.filter(pk=row.account_id, active=True).first()
    if bot is None:
        raise TransportError(REASON_NO_BOT, permanent=True)
    outgoing.check_files(row, CHANNELS[row.channel])

    def send_file(file: outgoing.OutgoingFile, content: bytes, caption: str) -> str:
        return api.send_file(
            bot,
            row.recipient,
            filename=file.filename,
            content_type=file.content_type,
            content=content,
            caption=caption,
        )

    sent = outgoing.send_with_files(
        row,
        send_file=send_file,
        send_text=lambda text: api.send_message(bot, row.recipient, text),
        caption_limit=api.CAPTION_LIMIT,
    )
    # The recipient is the chat id; the id kept is chat-qualified like inbound ones,
    # so a customer's reply to this message threads by it.
    return provider_id(row.recipient, sent)
