"""Files on a reply that goes out on a messaging channel (Telegram, WhatsApp, ...).

The outbox row lists the reply's attachments (``OutboundMessage.attachments``:
id, name, type, size). ``send_with_files`` sends them one call each, then
the text, or the text as the last file's caption when it fits. Each file
sent is marked on the row at once, so a retry after a temporary error sends
only what did not go yet: the customer never gets a file twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tiski.connectors.models import OutboundMessage
from tiski.connectors.registry import ChannelInfo
from tiski.connectors.transport import TransportError
from tiski.tickets.models import Attachment, Message

REASON_FILE_GONE = "The file %(name)s of this reply is no longer stored."
REASON_TOO_BIG = "%(name)s is %(size)d bytes; %(channel)s carries files of at most %(limit)d bytes."
REASON_TYPE = (
    "%(channel)s does not carry files of the type %(type)s (%(name)s), so nothing of this "
    "reply was sent. Send it by email, or without that file."
)


@dataclass(frozen=True)
class OutgoingFile:
    index: int
    attachment_id: int
    filename: str
    content_type: str
    size: int
    sent: str  # the provider's id once sent, else ""


def listed(message: Message) -> list[dict]:
    """The reply's files as the outbox row lists them (inline images are part of the text)."""
    return [
        {"id": a.pk, "filename": a.filename, "content_type": a.content_type, "size": a.size}
        for a in message.attachments.all()
        if not a.inline
    ]


def files_of(row: OutboundMessage) -> list[OutgoingFile]:
    return [
        OutgoingFile(
            index=n,
            attachment_id=int(item.get("id") or 0),
            filename=str(item.get("filename") or "file"),
            content_type=str(item.get("content_type") or "application/octet-stream"),
            size=int(item.get("size") or 0),
            sent=str(item.get("sent") or ""),
        )
        for n, item in enumerate(row.attachments or [])
    ]


def read(file: OutgoingFile) -> bytes:
    attachment = Attachment.objects.filter(pk=file.attachment_id).first()
    if attachment is None:
        raise TransportError(REASON_FILE_GONE % {"name": file.filename}, permanent=True)
    try:
        with attachment.file.open("rb") as handle:
            return handle.read()
    except OSError as exc:
        raise TransportError(REASON_FILE_GONE % {"name": file.filename}, permanent=True) from exc


def mark_sent(row: OutboundMessage, file: OutgoingFile, provider_id: str) -> None:
    items = list(row.attachments or [])
    items[file.index] = {**items[file.index], "sent": provider_id or "sent"}
    row.attachments = items
    OutboundMessage.objects.filter(pk=row.pk).update(attachments=items)


def check_size(file: OutgoingFile, channel: str, limit: int | None) -> None:
    """A file over the channel's limit (written by a path that did not ask the route)."""
    if limit is not None and file.size > limit:
        raise TransportError(
            REASON_TOO_BIG
            % {"name": file.filename, "size": file.size, "channel": channel, "limit": limit},
            permanent=True,
        )


def check_files(row: OutboundMessage, info: ChannelInfo) -> None:
    """Every file not sent yet is of a type and size the channel carries; else the row
    fails with the reason before anything goes (a reply written by a path that did not
    ask the route: the API, a rule). The composer refuses such files before writing."""
    channel = str(info.label)
    for file in files_of(row):
        if file.sent:
            continue
        if not info.accepts_type(file.content_type):
            raise TransportError(
                REASON_TYPE
                % {"channel": channel, "type": file.content_type, "name": file.filename},
                permanent=True,
            )
        check_size(file, channel, info.max_bytes_for(file.content_type))


def send_with_files(
    row: OutboundMessage,
    *,
    send_file: Callable[[OutgoingFile, bytes, str], str],
    send_text: Callable[[str], str],
    caption_limit: int,
) -> str:
    """Every file not sent yet, then the text; the provider's id of the last call."""
    files = files_of(row)
    text = row.body.strip()
    as_caption = bool(files) and 0 < len(text) <= caption_limit
    last = ""
    for file in files:
        if file.sent:
            last = file.sent
            continue
        caption = text if as_caption and file.index == files[-1].index else ""
        last = send_file(file, read(file), caption)
        mark_sent(row, file, last)
    if text and not as_caption:
        last = send_text(text)
    return last
