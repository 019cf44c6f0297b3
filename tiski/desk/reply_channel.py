"""Which messaging channel a public reply goes out on, as the composer shows it.

A conversation on a messaging channel (SMS, Telegram, WhatsApp, Messenger,
Instagram) is answered on that channel: SMS through ``sms.replies.sms_route``,
the others through the ``route`` their registry line names. Either way the
composer gets one ``ChannelReplyRoute``: who the reply goes to and from, the
length limit from the registry, the sentence saying why a reply cannot go
(an opted-out number, a closed WhatsApp or Meta window), and the one saying
how it goes when that matters (Meta's HUMAN_AGENT tag). Everything else is
answered by email (``email.outbound.reply_route``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from tiski.connectors.registry import CHANNELS
from tiski.connectors.sms.replies import sms_route
from tiski.tickets.models import Channel, Ticket

# Why a channel's own route refuses a free-text reply, as sentences for the composer.
_PROBLEMS = {
    "opted_out": lambda: _(
        "This customer has opted out of SMS (they sent STOP), so a reply by SMS "
        "cannot be sent. Write an internal note, or reply by email if they have an address."
    ),
    "window_closed": lambda: _(
        "The customer last wrote on WhatsApp over 24 hours ago, so WhatsApp allows no "
        "free-text reply now. Send an approved template below, or write an internal note."
    ),
    "meta_window_closed": lambda: _(
        "The customer last wrote over 7 days ago, so Meta allows no reply on this channel "
        "until they write again. Write an internal note, or reply by email if they have an "
        "address."
    ),
}
# What a channel's route says about a reply that can go, but differently.
_NOTICES = {
    "human_agent_tag": lambda: _(
        "The customer last wrote over 24 hours ago: the reply goes with Meta's human agent "
        "tag, which allows a person's answer for 7 days. Send no offers or reminders with it."
    ),
}


@dataclass(frozen=True)
class ChannelReplyRoute:
    """Shaped like the email ReplyRoute where the composer reads it."""

    channel: str
    to: str
    to_label: str  # the customer as the channel knows them (+358…, @name)
    from_label: str  # our number or bot
    max_length: int | None
    problem: str = ""  # a key of _PROBLEMS, "" when a reply can go
    notice: str = ""  # a key of _NOTICES: how the reply goes, said beside the composer
    meta: dict = field(default_factory=dict)  # written on the reply for the channel's handler
    templates: tuple = ()  # approved templates the channel can send instead
    mailbox: None = None
    mailboxes: tuple = ()
    messaging: bool = True

    @property
    def reachable(self) -> bool:
        return not self.problem

    @property
    def label(self) -> str:
        return str(CHANNELS[self.channel].label)

    @property
    def notice_text(self) -> str:
        return _NOTICES[self.notice]() if self.notice else ""


def channel_reply_route(ticket: Ticket) -> ChannelReplyRoute | None:
    """The messaging route of this ticket's conversation, or None (answered by email)."""
    sms = sms_route(ticket)
    if sms is not None:
        return ChannelReplyRoute(
            channel=Channel.SMS,
            to=sms.to,
            to_label=sms.to,
            from_label=sms.account.number,
            max_length=sms.max_length,
            problem="opted_out" if sms.opted_out else "",
            meta={"sms_account": sms.account.pk, "to": sms.to},
        )
    for info in CHANNELS.values():
        if not info.route:
            continue
        found = import_string(info.route)(ticket)
        if found is not None:
            return ChannelReplyRoute(
                channel=info.key,
                to=found["to"],
                to_label=found.get("to_label") or found["to"],
                from_label=found.get("from_label", ""),
                max_length=info.max_length,
                problem=found.get("problem", ""),
                notice=found.get("notice", ""),
                meta={"account": found["account"], "to": found["to"]},
                templates=tuple(found.get("templates", ())),
            )
    return None


def channel_problem(route: ChannelReplyRoute, text: str = "") -> str:
    """Why this reply cannot go out on the channel, in a sentence; "" if it can."""
    if route.problem:
        return _PROBLEMS[route.problem]()
    if route.max_length is not None and len(text) > route.max_length:
        return _(
            "A reply by %(channel)s can be at most %(limit)d characters; this one has %(count)d."
        ) % {"channel": route.label, "limit": route.max_length, "count": len(text)}
    return ""
