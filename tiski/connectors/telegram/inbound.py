"""Telegram updates to messages: text, photo, document and voice, threaded by chat.

A receipt's source is ``telegram:<bot id>`` and its key the update_id
(Telegram redelivers an update until we answer 200: one message). The
sender is a ``telegram`` identity (the user id); the conversation id is the
bot and the chat, so a chat stays on its ticket while that is unsolved.
Media is fetched through getFile; a file over the size limit or of a type
the desk does not open is left out with a note in the message. A download
that fails for a while raises: the receipt stays pending and is retried.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from tiski.connectors.messaging import intake, media
from tiski.connectors.messaging.inbound import InboundAttachment, InboundMessage, Malformed
from tiski.connectors.models import InboundReceipt
from tiski.connectors.transport import TransportError
from tiski.customers.models import IdentityKind
from tiski.tickets.models import Channel

from . import api
from .models import TelegramBot

SOURCE_PREFIX = "telegram:"
REASON_NO_BOT = "The Telegram bot this update came to was deleted."
REASON_NOT_A_MESSAGE = "Telegram update %(id)s has no customer message (%(kinds)s); nothing to do."
REASON_FROM_BOT = "Telegram update %(id)s came from a bot; ignored."
_MESSAGE_KEYS = ("message", "edited_message")


def source_for(bot: TelegramBot) -> str:
    return f"{SOURCE_PREFIX}{bot.pk}"


def parse_update(body: bytes) -> dict:
    """The update as JSON with its update_id checked; Malformed otherwise."""
    try:
        update = json.loads(body)
    except ValueError as exc:
        raise Malformed("not JSON") from exc
    if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
        raise Malformed("no update_id")
    message = next((update[k] for k in _MESSAGE_KEYS if k in update), None)
    if message is not None and (
        not isinstance(message, dict)
        or not isinstance(message.get("chat"), dict)
        or "id" not in message["chat"]
        or "message_id" not in message
    ):
        raise Malformed("a message without chat or message_id")
    return update


def process_receipt(receipt_id: int) -> intake.Result:
    """The registry's intake for Telegram receipts."""
    return intake.process(receipt_id, handle)


def handle(receipt: InboundReceipt, raw: bytes) -> intake.Delivered | str:
    value = receipt.source.removeprefix(SOURCE_PREFIX)
    bot = TelegramBot.objects.filter(pk=int(value) if value.isdigit() else None).first()
    if bot is None:
        raise Malformed(REASON_NO_BOT)
    update = parse_update(raw)
    key = next((k for k in _MESSAGE_KEYS if k in update), None)
    if key is None:
        kinds = ", ".join(sorted(k for k in update if k != "update_id")) or "empty"
        return REASON_NOT_A_MESSAGE % {"id": update["update_id"], "kinds": kinds}
    message = update[key]
    sender = message.get("from") or {}
    if sender.get("is_bot"):
        return REASON_FROM_BOT % {"id": update["update_id"]}
    chat_id = str(message["chat"]["id"])
    text = str(message.get("text") or message.get("caption") or "")
    attachments, notes = _media(bot, message)
    if notes:
        text = "\n".join([text, *notes]).strip()
    reply = message.get("reply_to_message") or {}
    name = " ".join(str(sender.get(k) or "") for k in ("first_name", "last_name")).strip()
    msg = InboundMessage(
        channel=Channel.TELEGRAM,
        account=bot.pk,
        sender_kind=IdentityKind.TELEGRAM,
        sender_value=str(sender.get("id") or chat_id),
        sender_name=name,
        text=text,
        provider_id=provider_id(chat_id, message["message_id"]),
        attachments=tuple(attachments),
        reply_to_id=provider_id(chat_id, reply["message_id"]) if reply.get("message_id") else "",
        conversation_id=f"{bot.pk}:{chat_id}",
        sent_at=_time(message.get("date")),
        meta={
            "chat_id": chat_id,
            **({"username": str(sender["username"])} if sender.get("username") else {}),
            **({"edited": True} if key == "edited_message" else {}),
        },
    )
    return intake.deliver_inbound(msg, team=bot.default_team, ticket_type=bot.default_type)


def provider_id(chat_id: str, message_id: object) -> str:
    # Telegram's message ids count per chat: with the chat they are unique.
    return f"{chat_id}:{message_id}"


def _time(value: object) -> datetime | None:
    return datetime.fromtimestamp(value, tz=UTC) if isinstance(value, int) else None


def _media(bot: TelegramBot, message: dict) -> tuple[list[InboundAttachment], list[str]]:
    """The message's photo, document and voice as attachments, and notes on files left out."""
    files: list[tuple[dict, str, str]] = []  # (file, name, content type)
    if message.get("photo"):
        # Telegram sends each photo in several sizes: keep the largest.
        best = max(message["photo"], key=lambda p: (p.get("file_size") or 0, p.get("width") or 0))
        files.append((best, f"photo-{message['message_id']}.jpg", "image/jpeg"))
    if isinstance(message.get("document"), dict):
        doc = message["document"]
        name = str(doc.get("file_name") or f"document-{message['message_id']}")
        files.append((doc, name, str(doc.get("mime_type") or "application/octet-stream")))
    if isinstance(message.get("voice"), dict):
        voice = message["voice"]
        files.append(
            (
                voice,
                f"voice-{message['message_id']}.ogg",
                str(voice.get("mime_type") or "audio/ogg"),
            )
        )
    attachments, notes = [], []
    for file, name, content_type in files:
        why = media.refusal(content_type, file.get("file_size"))
        if not why:
            try:
                data = api.download(bot, str(file.get("file_id") or ""))
            except TransportError as exc:
                if not exc.permanent:
                    raise
                why = str(exc)
            else:
                why = media.refusal(content_type, len(data))
        if why:
            notes.append(media.LEFT_OUT % {"name": name, "why": why})
        else:
            attachments.append(InboundAttachment(name[:200], content_type, data))
    return attachments, notes
