"""Agent replies on a chat ticket: the chat's route, and the push to the open chat.

``route`` (the registry's for the chat) decides before a reply is written:
while the visitor is there (a socket open and heard within
``TISKI_WEBCHAT_AWAY_MINUTES``) the reply is written on the chat channel and
shown live; once they have gone, the route is email's, said as such.

A ticket-change handler (``TISKI_TICKET_CHANGE_HANDLERS``, before the email
one) pushes each new public reply to the session's channel-layer group; a
``LiveDelivery`` row records one the visitor was there to see. A chat reply
whose visitor left between the writing and the push is handed to email.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from tiski.connectors.email import outbound
from tiski.connectors.routes import ReplyRoute
from tiski.core import realtime
from tiski.tickets import changes
from tiski.tickets.models import Channel, MessageKind, Ticket, Via

from . import services
from .models import ChatSession, LiveDelivery, SessionStatus

if TYPE_CHECKING:
    from tiski.tickets.changes import TicketChange


def route(ticket: Ticket) -> ReplyRoute | None:
    """The chat's route: live while the visitor is there, else email; None: no chat."""
    present = services.visitor_present(ticket.pk)
    if present is None:
        return None
    name = str(ticket.requester)
    if present:
        return ReplyRoute(
            channel=Channel.CHAT,
            to_label=name,
            summary=_("In the web chat: %(name)s sees the reply at once") % {"name": name},
            live=True,
        )
    by_email = outbound.route(ticket)
    summary = by_email.summary
    if by_email.to:
        summary = _("%(name)s has left the web chat: the reply goes by email to %(address)s") % {
            "name": name,
            "address": by_email.to,
        }
    return replace(by_email, summary=summary, live=False)


def on_ticket_change(change: TicketChange) -> None:
    replies = [mid for mid, kind in change.messages if kind == MessageKind.PUBLIC]
    if not replies or change.via not in (Via.AGENT, Via.RULE, Via.API):
        return
    sessions = list(
        ChatSession.objects.filter(ticket_id=change.ticket_id, status=SessionStatus.OPEN)
    )
    present = any(services.is_present(s) for s in sessions)
    # Read through `changes.message`: the reply channels' handlers after this
    # one read the same message to see whether it is theirs.
    found = [changes.message(pk) for pk in replies]
    for message in sorted((m for m in found if m), key=lambda m: (m.created_at, m.pk)):
        if sessions:
            item = services.as_item(message)
            for session in sessions:
                realtime.send(
                    services.session_group(session.pk), {"type": "chat.reply", "item": item}
                )
        if present:
            # The row get_or_create wrote, in one statement instead of a read
            # and an insert in a transaction of its own (four).
            LiveDelivery.objects.bulk_create(
                [LiveDelivery(message=message, session=sessions[0])], ignore_conflicts=True
            )
        elif message.channel == Channel.CHAT:
            # Written for a visitor who was there and has gone since: not lost.
            outbound.queue_reply(message.pk, instead_of=Channel.CHAT)
