"""Replies on a Messenger or Instagram conversation go back on it, within Meta's window.

``route`` tells the composer where a reply goes and what the window allows
(a normal reply, one with the HUMAN_AGENT tag, or none); the handler
queues public replies written on either channel, and refuses (fails with
the reason) one written after the 7 days by anything but the composer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils import timezone
from django.utils.translation import gettext as _

from tiski.connectors.messaging.replies import latest_inbound, queue_reply
from tiski.connectors.routes import ReplyRoute, messaging_route
from tiski.tickets import changes
from tiski.tickets.models import Channel, MessageKind, Ticket, Via

from . import window
from .models import MetaAccount
from .transport import REASON_WINDOW_CLOSED

if TYPE_CHECKING:
    from tiski.tickets.changes import TicketChange

CHANNELS = (Channel.MESSENGER, Channel.INSTAGRAM)


def messenger_route(ticket: Ticket) -> ReplyRoute | None:
    """The registry's route for Messenger conversations."""
    return route(ticket, Channel.MESSENGER)


def instagram_route(ticket: Ticket) -> ReplyRoute | None:
    """The registry's route for Instagram conversations."""
    return route(ticket, Channel.INSTAGRAM)


def route(ticket: Ticket, channel: str) -> ReplyRoute | None:
    """Where a public reply goes (the composer shows it), or None: not on this channel."""
    latest = latest_inbound(ticket, channel)
    if latest is None:
        return None
    meta = latest.meta or {}
    account = MetaAccount.objects.filter(pk=meta.get("account"), active=True).first()
    to = str(meta.get("from") or "")
    if account is None or not to:
        return None
    state = window.state_after(latest.created_at, timezone.now())
    problem = notice = ""
    if state == window.State.CLOSED:
        problem = _(
            "The customer last wrote over 7 days ago, so Meta allows no reply on this channel "
            "until they write again. Write an internal note, or reply by email if they have an "
            "address."
        )
    elif state == window.State.HUMAN_AGENT:
        notice = _(
            "The customer last wrote over 24 hours ago: the reply goes with Meta's human agent "
            "tag, which allows a person's answer for 7 days. Send no offers or reminders with it."
        )
    return messaging_route(
        channel=channel,
        account=account.pk,
        to=to,
        to_label=ticket.requester.name if ticket.requester_id else to,
        from_label=account.name,
        problem=problem,
        notice=notice,
    )


def on_ticket_change(change: TicketChange) -> None:
    """After commit: public replies written on Messenger or Instagram go into the outbox."""
    if change.via not in (Via.AGENT, Via.RULE, Via.API):
        return
    for message_id, kind in change.messages:
        if kind != MessageKind.PUBLIC:
            continue
        message = changes.message(message_id)
        if message is None or message.channel not in CHANNELS:
            continue
        closed = (
            window.state(message.ticket, message.channel, now=message.created_at)
            == window.State.CLOSED
        )
        queue_reply(message_id, message.channel, refused=REASON_WINDOW_CLOSED if closed else "")
