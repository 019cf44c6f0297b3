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


CHANNELS: dict[str, ChannelInfo] = {
    info.key: info
    for info in (
        ChannelInfo(
            "email",
            _("Email"),
            True,
            True,
            None,
            False,
            "tiski.connectors.email.outbound.send_outbound",
        ),
        ChannelInfo("phone", _("Phone"), False, False, None, False, ""),
        ChannelInfo(
            "sms", _("SMS"), True, False, 1600, False, "tiski.connectors.sms.transport.send"
        ),
    )
}


def channel_info(key: str) -> ChannelInfo | None:
    return CHANNELS.get(key)


def reply_channels() -> list[ChannelInfo]:
    return [info for info in CHANNELS.values() if info.can_reply]
