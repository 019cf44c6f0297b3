"""The one list of channels: which exist and what each can do.

The desk's composer, rules, reports and the API read ``CHANNELS`` instead of
knowing channels by name. Adding a channel is its own package under
``tiski/connectors/`` plus one line here (see docs/channels.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class ChannelInfo:
    key: str  # a tickets.models.Channel value
    label: str | Promise
    can_reply: bool
    attachments: bool
    max_length: int | None  # characters of one reply; None: no limit
    has_templates: bool
    # Dotted path of the function that sends one outbox row of this channel.
    sender: str
    # Dotted path of the function that turns one inbound receipt into a message.
    intake: str
    # Dotted path of ``route(ticket)``: the ``routes.ReplyRoute`` of a public
    # reply when the ticket's conversation is on this channel, else None.
    # Email's is the fallback every other route is asked before.
    route: str = ""
    # Files a reply may carry (when ``attachments``): the largest in bytes
    # (None: no limit of the channel's own), and the content types, exact or
    # as "image/" prefixes (empty: any type), with the words the composer shows.
    max_attachment_bytes: int | None = None
    attachment_types: tuple[str, ...] = ()
    attachment_words: str | Promise = ""
    # Smaller limits for some types, as (type or "image/" prefix, bytes): the
    # first that matches wins over ``max_attachment_bytes`` (Instagram's images).
    type_limits: tuple[tuple[str, int], ...] = ()

    def accepts_type(self, content_type: str) -> bool:
        if not self.attachment_types:
            return True
        return any(_matches(content_type, t) for t in self.attachment_types)

    def max_bytes_for(self, content_type: str) -> int | None:
        """The largest file of this type the channel carries (None: no limit of its own)."""
        for pattern, limit in self.type_limits:
            if _matches(content_type, pattern):
                return limit
        return self.max_attachment_bytes


def _matches(content_type: str, pattern: str) -> bool:
    kind = (content_type or "").split(";", 1)[0].strip().lower()
    return kind.startswith(pattern) if pattern.endswith("/") else kind == pattern


_EMAIL = "tiski.connectors.email"
_SMS = "tiski.connectors.sms"
_TELEGRAM = "tiski.connectors.telegram"
_WHATSAPP = "tiski.connectors.whatsapp"
_META = "tiski.connectors.meta"
_WEBFORM = "tiski.connectors.webform"
_WEBCHAT = "tiski.connectors.webchat"
_MB = 1024 * 1024
# What the Cloud API takes as image, audio, video or document media.
_WHATSAPP_TYPES = (
    "image/jpeg",
    "image/png",
    "audio/aac",
    "audio/mp4",
    "audio/mpeg",
    "audio/amr",
    "audio/ogg",
    "video/mp4",
    "video/3gpp",
    "text/plain",
    "application/pdf",
    "application/msword",
    "application/vnd.ms-excel",
    "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
)

# What Instagram's Send API takes (Meta's "Send a message" and "Upload media"
# pages): PNG and JPEG images up to 8 MB; AAC, M4A, WAV and MP4 audio, MP4,
# OGG, AVI, MOV and WebM video, and PDF files up to 25 MB.
_INSTAGRAM_TYPES = (
    "image/jpeg",
    "image/png",
    "audio/aac",
    "audio/mp4",
    "audio/x-m4a",
    "audio/wav",
    "audio/x-wav",
    "audio/wave",
    "video/mp4",
    "video/ogg",
    "video/x-msvideo",
    "video/quicktime",
    "video/webm",
    "application/pdf",
)

# One line per channel.
CHANNELS: dict[str, ChannelInfo] = {
    info.key: info
    for info in (
        ChannelInfo(
            key="email", label=_("Email"), can_reply=True, attachments=True, max_length=None,
            has_templates=False, sender=f"{_EMAIL}.outbound.send_outbound",
            intake=f"{_EMAIL}.intake.process_receipt", route=f"{_EMAIL}.outbound.route",
        ),
        ChannelInfo(
            key="phone", label=_("Phone"), can_reply=False, attachments=False, max_length=None,
            has_templates=False, sender="", intake="",
        ),
        ChannelInfo(
            key="sms", label=_("SMS"), can_reply=True, attachments=False, max_length=1600,
            has_templates=False, sender=f"{_SMS}.transport.send",
            intake=f"{_SMS}.inbound.process_receipt", route=f"{_SMS}.replies.route",
        ),
        ChannelInfo(
            key="telegram", label=_("Telegram"), can_reply=True, attachments=True,
            max_length=4096, has_templates=False, sender=f"{_TELEGRAM}.transport.send",
            intake=f"{_TELEGRAM}.inbound.process_receipt", route=f"{_TELEGRAM}.replies.route",
            # The Bot API's sendDocument limit; photos over 10 MB go as documents.
            max_attachment_bytes=50 * _MB,
        ),
        ChannelInfo(
            key="whatsapp", label=_("WhatsApp"), can_reply=True, attachments=True,
            max_length=4096, has_templates=True, sender=f"{_WHATSAPP}.transport.send",
            intake=f"{_WHATSAPP}.inbound.process_receipt", route=f"{_WHATSAPP}.replies.route",
            # Documents up to 100 MB; images over 5 MB go as documents.
            max_attachment_bytes=100 * _MB, attachment_types=_WHATSAPP_TYPES,
            attachment_words=_("JPEG and PNG images, PDF, text and Office documents, MP4 video, "
                               "audio"),
        ),
        # One package serves both of Meta's inboxes (connectors/meta/__init__.py).
        # Messenger takes any file up to 25 MB (images, audio and video are shown as such).
        ChannelInfo(
            key="messenger", label=_("Messenger"), can_reply=True, attachments=True,
            max_length=2000, has_templates=False, sender=f"{_META}.transport.send",
            intake=f"{_META}.inbound.process_receipt",
            route=f"{_META}.replies.messenger_route",
            max_attachment_bytes=25 * _MB,
            attachment_words=_("images, video, audio and other files"),
        ),
        ChannelInfo(
            key="instagram", label=_("Instagram"), can_reply=True, attachments=True,
            max_length=1000, has_templates=False, sender=f"{_META}.transport.send",
            intake=f"{_META}.inbound.process_receipt",
            route=f"{_META}.replies.instagram_route",
            max_attachment_bytes=25 * _MB, attachment_types=_INSTAGRAM_TYPES,
            type_limits=(("image/", 8 * _MB),),
            attachment_words=_("JPEG and PNG images (at most 8 MB), MP4, MOV and WebM video, "
                               "AAC, MP4 and WAV audio, PDF"),
        ),
        # Chat replies reach the visitor live through the chat's change handler
        # while they are there (the route says so); once they have left, the
        # route is email's: no outbox row, no receipt.
        # The help centre's request form: stored as a receipt first, then a
        # ticket; it carries no replies (those go by email, the fallback route).
        ChannelInfo(
            key="web_form", label=_("Web form"), can_reply=False, attachments=False,
            max_length=None, has_templates=False, sender="",
            intake=f"{_WEBFORM}.intake.process_receipt",
        ),
        ChannelInfo(
            key="chat", label=_("Web chat"), can_reply=True, attachments=False, max_length=None,
            has_templates=False, sender="", intake="", route=f"{_WEBCHAT}.delivery.route",
        ),
    )
}  # fmt: skip


def channel_info(key: str) -> ChannelInfo | None:
    return CHANNELS.get(key)


def reply_channels() -> list[ChannelInfo]:
    return [info for info in CHANNELS.values() if info.can_reply]
