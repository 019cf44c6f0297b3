"""Which channel a public reply goes out on, as the composer shows it.

An SMS conversation is answered by SMS (``sms.replies.sms_route``): the
composer says so, shows the number and the length limit from the channel
registry, and refuses when the customer has opted out. Everything else is
answered by email (``email.outbound.reply_route``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from tiski.connectors.registry import CHANNELS
from tiski.connectors.sms.replies import SmsRoute, sms_route
from tiski.tickets.models import Channel, Ticket


@dataclass(frozen=True)
class SmsReplyRoute:
    """Shaped like the email ReplyRoute where the composer reads it."""

    sms: SmsRoute
    channel: str = Channel.SMS
    mailbox: None = None
    mailboxes: tuple = ()

    @property
    def to(self) -> str:
        return self.sms.to

    @property
    def reachable(self) -> bool:
        return not self.sms.opted_out

    @property
    def label(self) -> str:
        return str(CHANNELS[Channel.SMS].label)

    @property
    def max_length(self) -> int | None:
        return self.sms.max_length

    @property
    def problem(self) -> str:
        return "opted_out" if self.sms.opted_out else ""


def sms_reply_route(ticket: Ticket) -> SmsReplyRoute | None:
    route = sms_route(ticket)
    return SmsReplyRoute(route) if route is not None else None


def sms_problem(route: SmsReplyRoute, text: str = "") -> str:
    """Why this SMS reply cannot go out, in a sentence for the composer; "" if it can."""
    if route.sms.opted_out:
        return _(
            "This customer has opted out of SMS (they sent STOP), so a reply by SMS "
            "cannot be sent. Write an internal note, or reply by email if they have an address."
        )
    if route.max_length is not None and len(text) > route.max_length:
        return _("An SMS can be at most %(limit)d characters; this one has %(count)d.") % {
            "limit": route.max_length,
            "count": len(text),
        }
    return ""


def sms_meta(route: SmsReplyRoute) -> dict:
    """What the SMS reply handler reads from the reply message."""
    return {"sms_account": route.sms.account.pk, "to": route.sms.to}
