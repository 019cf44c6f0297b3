"""Where a public reply on a ticket goes: one route type for every channel.

Each channel's registry line names a ``route(ticket)`` that returns a
``ReplyRoute`` when the ticket's conversation is on that channel (the
customer's latest message came by SMS, the chat visitor is there, ...) or
None. ``reply_route`` asks them in the registry's order and falls back to
email, the channel every customer with an address can be reached on.
``reply_routes`` adds email as a second choice on a messaging conversation
whose contact has an address ("reply by email instead").

A route is decided before the reply is written: the desk, the API and bulk
ready answers write the reply on ``route.channel`` with ``route.meta``, and
the channel's ticket-change handler sends it. Everything the composer shows
(to whom, from where, length and file limits, why a reply cannot go) is a
field here, so the composer knows no channel by name.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from typing import Any

from django.template.defaultfilters import filesizeformat
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from tiski.connectors.messaging import media
from tiski.connectors.registry import CHANNELS, ChannelInfo
from tiski.tickets.models import Message, MessageKind, Ticket

EMAIL = "email"
# How many of the customer's latest messages a route looks at: the newest
# decides a messaging channel's route; the email route picks the mailbox the
# customer last wrote to among these.
RECENT_CUSTOMER_MESSAGES = 20

# Inside ``customer_messages_once()``: each ticket's latest customer messages
# by ticket id, so deciding the routes reads them once, not once per channel.
_recent: ContextVar[dict[int, list[Message]] | None] = ContextVar(
    "recent_customer_messages", default=None
)


@contextmanager
def customer_messages_once() -> Iterator[None]:
    """Within the block, ``recent_customer_messages`` reads each ticket's rows
    once. An inner block shares the outer one's rows (``reply_routes`` asks
    ``reply_route``, which opens one too)."""
    if _recent.get() is not None:
        yield
        return
    token = _recent.set({})
    try:
        yield
    finally:
        _recent.reset(token)


def recent_customer_messages(ticket: Ticket) -> list[Message]:
    """The customer's latest messages on the ticket, newest first (at most
    ``RECENT_CUSTOMER_MESSAGES``), with what routes read of them: the
    channel, the meta and the time."""
    remembered = _recent.get()
    if remembered is not None and ticket.pk in remembered:
        return remembered[ticket.pk]
    rows = list(
        ticket.messages.filter(kind=MessageKind.CUSTOMER)
        .order_by("-created_at", "-id")
        # ticket_id too: the related manager reads it on every row it returns.
        .only("ticket_id", "channel", "meta", "created_at")[:RECENT_CUSTOMER_MESSAGES]
    )
    if remembered is not None:
        remembered[ticket.pk] = rows
    return rows


@dataclass(frozen=True)
class ReplyRoute:
    """How a public reply reaches the customer on one channel."""

    channel: str  # a registry key: the reply is written on this channel
    to: str = ""  # the address, number or chat id the channel sends to
    to_label: str = ""  # the customer as the channel knows them (+358…, @name)
    from_label: str = ""  # our address, number or bot
    summary: str = ""  # the composer's sentence: where the reply goes
    problem: str = ""  # why a reply cannot go, as a sentence; "" when it can
    notice: str = ""  # how a reply that can go will go, when that matters (Meta's tag)
    meta: dict[str, Any] = field(default_factory=dict)  # written on the reply for the handler
    templates: tuple = ()  # approved templates the channel can send instead (WhatsApp)
    mailbox: Any = None  # email: the default sending mailbox
    mailboxes: tuple = ()  # email: every mailbox the agent may send from
    # A live channel (the web chat): True while the customer is there to see a
    # reply at once, False when they have left; None for other channels.
    live: bool | None = None

    @property
    def reachable(self) -> bool:
        return not self.problem

    @property
    def info(self) -> ChannelInfo:
        return CHANNELS[self.channel]

    @property
    def label(self) -> str:
        return str(self.info.label)

    @property
    def max_length(self) -> int | None:
        return self.info.max_length

    @property
    def attachments(self) -> bool:
        return self.info.attachments

    @property
    def max_attachment_bytes(self) -> int | None:
        """The largest file the channel carries (None: no limit of its own)."""
        limit = self.info.max_attachment_bytes
        if limit is None or self.channel == EMAIL:
            return limit
        return min(limit, media.max_bytes())

    def max_bytes_for(self, content_type: str) -> int | None:
        """The largest file of this type the channel carries, capped like the above."""
        limit = self.info.max_bytes_for(content_type)
        if limit is None or self.channel == EMAIL:
            return limit
        return min(limit, media.max_bytes())

    @property
    def file_limits(self) -> str:
        """The composer's sentence about files on this channel; "" for email."""
        if not self.attachments:
            return _("%(channel)s carries no files.") % {"channel": self.label}
        if self.max_attachment_bytes is None:
            return ""
        return _("Files by %(channel)s: at most %(size)s each, %(types)s.") % {
            "channel": self.label,
            "size": filesizeformat(self.max_attachment_bytes),
            "types": self.info.attachment_words or _("any type"),
        }

    def refusal(self, text: str = "", files: Sequence[Any] = ()) -> str:
        """Why this reply cannot go out on this route, in a sentence; "" if it can.

        ``files`` are uploaded files (``name``, ``size``, ``content_type``).
        """
        if self.problem:
            return self.problem
        if self.max_length is not None and len(text) > self.max_length:
            return _(
                "A reply by %(channel)s can be at most %(limit)d characters; this one has "
                "%(count)d."
            ) % {"channel": self.label, "limit": self.max_length, "count": len(text)}
        for upload in files:
            kind = upload.content_type or mimetypes.guess_type(upload.name)[0] or ""
            why = self.file_refusal(upload.name, upload.size, kind)
            if why:
                return why
        return ""

    def file_refusal(self, name: str, size: int, content_type: str) -> str:
        if not self.attachments:
            return _(
                "%(channel)s carries no files, so %(name)s cannot be sent. Remove it, or "
                "reply by email instead."
            ) % {"channel": self.label, "name": name}
        limit = self.max_bytes_for(content_type)
        if limit is not None and size > limit:
            return _(
                "%(name)s is %(size)s; %(channel)s carries files of at most %(limit)s. "
                "Nothing was sent: remove the file or send a smaller one."
            ) % {
                "name": name,
                "size": filesizeformat(size),
                "channel": self.label,
                "limit": filesizeformat(limit),
            }
        if not self.info.accepts_type(content_type):
            return _(
                "%(channel)s does not carry files of the type %(type)s (%(name)s). "
                "Nothing was sent: remove the file or reply by email instead."
            ) % {"channel": self.label, "type": content_type or "?", "name": name}
        return ""


def reply_route(ticket: Ticket) -> ReplyRoute:
    """The route of this ticket's conversation: its channel's, else email."""
    with customer_messages_once():
        for info in CHANNELS.values():
            if info.route and info.key != EMAIL:
                found = import_string(info.route)(ticket)
                if found is not None:
                    return found
        return email_route(ticket)


def reply_channel(ticket: Ticket) -> tuple[str, dict[str, Any]]:
    """``settings.TISKI_REPLY_CHANNEL``: the route's channel and meta for a reply
    a feature writes (a ready answer in bulk). A route that cannot be used is
    the channel's handler's to refuse with the reason, as for a rule's reply."""
    route = reply_route(ticket)
    return route.channel, dict(route.meta)


def email_route(ticket: Ticket) -> ReplyRoute:
    return import_string(CHANNELS[EMAIL].route)(ticket)


def reply_routes(ticket: Ticket) -> list[ReplyRoute]:
    """The conversation's route first, then email when it is another channel the
    customer can also be reached on by email (the composer's "by email instead")."""
    with customer_messages_once():
        first = reply_route(ticket)
        if first.channel == EMAIL:
            return [first]
        by_email = email_route(ticket)
    if not by_email.to or by_email.mailbox is None:
        return [first]
    return [
        first,
        replace(by_email, summary=_("By email instead, to %(address)s") % {"address": by_email.to}),
    ]


def chosen_route(routes: Sequence[ReplyRoute], channel: str) -> ReplyRoute | None:
    """The route the agent chose by channel ("" = the first); None: not offered."""
    if not channel:
        return routes[0]
    return next((r for r in routes if r.channel == channel), None)


def messaging_route(
    *,
    channel: str,
    account: int,
    to: str,
    to_label: str = "",
    from_label: str = "",
    problem: str = "",
    notice: str = "",
    templates: Sequence = (),
) -> ReplyRoute:
    """A route on a messaging channel with an outbox (SMS, Telegram, WhatsApp, ...)."""
    label = str(CHANNELS[channel].label)
    return ReplyRoute(
        channel=channel,
        to=to,
        to_label=to_label or to,
        from_label=from_label,
        summary=_("By %(channel)s to %(number)s from %(from)s")
        % {"channel": label, "number": to_label or to, "from": from_label},
        problem=problem,
        notice=notice,
        meta={"account": account, "to": to},
        templates=tuple(templates),
    )


__all__ = [
    "ReplyRoute",
    "chosen_route",
    "email_route",
    "messaging_route",
    "reply_channel",
    "reply_route",
    "reply_routes",
]
