"""Sending one WhatsApp outbox row: the registry's sender for the whatsapp channel.

A row whose reply message names a template (``meta["template"]``, with its
``variables``) goes as that template; any other row as its files (each
uploaded, then sent as image, audio, video or document) and its free text,
the text as the last file's caption when it fits.
"""

from __future__ import annotations

from tiski.connectors.messaging import outgoing
from tiski.connectors.models import OutboundMessage
from tiski.connectors.registry import CHANNELS
from tiski.connectors.transport import TransportError

from . import api
from .models import WhatsAppAccount, WhatsAppTemplate

REASON_NO_ACCOUNT = "The WhatsApp number this message was to go from is deleted or not active."
REASON_NO_TEMPLATE = "The WhatsApp template of this message is deleted or not active."


def send(row: OutboundMessage) -> str:
    account = WhatsAppAccount.objects.filter(pk=row.account_id, active=True).first()
    if account is None:
        raise TransportError(REASON_NO_ACCOUNT, permanent=True)
    meta = (row.message.meta or {}) if row.message_id else {}
    if meta.get("template"):
        template = WhatsAppTemplate.objects.filter(
            pk=meta["template"], account=account, active=True
        ).first()
        if template is None:
            raise TransportError(REASON_NO_TEMPLATE, permanent=True)
        values = [str(v) for v in meta.get("variables") or []]
        return api.send_template(account, row.recipient, template, values)
    outgoing.check_files(row, CHANNELS[row.channel])

    def send_file(file: outgoing.OutgoingFile, content: bytes, caption: str) -> str:
        media_id = api.upload_media(
            account, filename=file.filename, content_type=file.content_type, content=content
        )
        return api.send_media(
            account,
            row.recipient,
            media_id,
            kind=api.media_kind(file.content_type, file.size),
            filename=file.filename,
            caption=caption,
        )

    files = outgoing.files_of(row)
    # Audio carries no caption: after a voice file the text goes on its own.
    last_is_audio = bool(files) and api.media_kind(files[-1].content_type, 0) == "audio"
    return outgoing.send_with_files(
        row,
        send_file=send_file,
        send_text=lambda text: api.send_text(account, row.recipient, text),
        caption_limit=0 if last_is_audio else api.CAPTION_LIMIT,
    )
