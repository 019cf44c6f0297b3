"""Agent replies on a chat ticket, pushed to the visitor's open chat.

A ticket-change handler (``TISKI_TICKET_CHANGE_HANDLERS``, before the email
one): each new public reply goes to the session's channel-layer group. When
the visitor is there (a socket open and heard within
``TISKI_WEBCHAT_AWAY_MINUTES``), a ``LiveDelivery`` row records it, and
``delivered_live`` (in ``TISKI_REPLY_DELIVERED_ELSEWHERE``, which the email
outbound asks before queueing a reply) says so. A visitor who has gone gets
the reply by email like any customer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tiski.core import realtime
from tiski.tickets.models import Message, MessageKind, Via

from . import services
from .models import ChatSession, LiveDelivery, SessionStatus

if TYPE_CHECKING:
    from tiski.tickets.changes import TicketChange


def on_ticket_change(change: TicketChange) -> None:
    replies = [mid for mid, kind in change.messages if kind == MessageKind.PUBLIC]
    if not replies or change.via not in (Via.AGENT, Via.RULE, Via.API):
        return
    sessions = list(
        ChatSession.objects.filter(ticket_id=change.ticket_id, status=SessionStatus.OPEN)
    )
    if not sessions:
        return
    present = any(services.is_present(s) for s in sessions)
    for message in Message.objects.filter(pk__in=replies).select_related("author_user"):
        item = services.as_item(message)
        for session in sessions:
            realtime.send(services.session_group(session.pk), {"type": "chat.reply", "item": item})
        if present:
            LiveDelivery.objects.get_or_create(message=message, defaults={"session": sessions[0]})


def delivered_live(message: Message) -> bool:
    """Asked by the email outbound: did the visitor see this reply in the chat?"""
    return LiveDelivery.objects.filter(message_id=message.pk).exists()
