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
    # Dotted path of ``route(ticket)``: where a public reply on this channel's
    # conversation goes (a dict for the composer), or None; "" for channels
    # the desk routes itself (email, SMS, chat).
    route: str = ""


_EMAIL = "tiski.connectors.email"
_SMS = "tiski.connectors.sms"
_TELEGRAM = "tiski.connectors.telegram"
_WHATSAPP = "tiski.connectors.whatsapp"
_META = "tiski.connectors.meta"

# One line per channel.
CHANNELS: dict[str, ChannelInfo] = {
    info.key: info
    for info in (
        ChannelInfo(
            key="email", label=_("Email"), can_reply=True, attachments=True, max_length=None,
            has_templates=False, sender=f"{_EMAIL}.outbound.send_outbound",
            intake=f"{_EMAIL}.intake.process_receipt",
        ),
        ChannelInfo(
            key="phone", label=_("Phone"), can_reply=False, attachments=False, max_length=None,
            has_templates=False, sender="", intake="",
        ),
        ChannelInfo(
            key="sms", label=_("SMS"), can_reply=True, attachments=False, max_length=1600,
            has_templates=False, sender=f"{_SMS}.transport.send",
            intake=f"{_SMS}.inbound.process_receipt",
        ),
        ChannelInfo(
            key="telegram", label=_("Telegram"), can_reply=True, attachments=True,
            max_length=4096, has_templates=False, sender=f"{_TELEGRAM}.transport.send",
            intake=f"{_TELEGRAM}.inbound.process_receipt", route=f"{_TELEGRAM}.replies.route",
        ),
        ChannelInfo(
            key="whatsapp", label=_("WhatsApp"), can_reply=True, attachments=True,
            max_length=4096, has_templates=True, sender=f"{_WHATSAPP}.transport.send",
            intake=f"{_WHATSAPP}.inbound.process_receipt", route=f"{_WHATSAPP}.replies.route",
        ),
        # One package serves both of Meta's inboxes (connectors/meta/__init__.py).
        ChannelInfo(
            key="messenger", label=_("Messenger"), can_reply=True, attachments=False,
            max_length=2000, has_templates=False, sender=f"{_META}.transport.send",
            intake=f"{_META}.inbound.process_receipt",
            route=f"{_META}.replies.messenger_route",
        ),
        ChannelInfo(
            key="instagram", label=_("Instagram"), can_reply=True, attachments=False,
            max_length=1000, has_templates=False, sender=f"{_META}.transport.send",
            intake=f"{_META}.inbound.process_receipt",
            route=f"{_META}.replies.instagram_route",
        ),
        # Chat replies reach the visitor live through the chat's change handler,
        # or by email once they have left: no outbox row, no receipt.
        ChannelInfo(
            key="chat", label=_("Web chat"), can_reply=True, attachments=False, max_length=None,
            has_templates=False, sender="", intake="",
        ),
    )
}  # fmt: skip


def channel_info(key: str) -> ChannelInfo | None:
    return CHANNELS.get(key)


def reply_channels() -> list[ChannelInfo]:
    return [info for info in CHANNELS.values() if info.can_reply]
