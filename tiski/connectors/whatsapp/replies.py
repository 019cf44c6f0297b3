"""Replies on a WhatsApp conversation go back by WhatsApp, within the 24-hour window.

``route`` tells the composer where a reply goes, and when the window is
closed says so and offers the number's approved templates; the handler
queues public replies and refuses (fails with the reason) a free-text reply
written outside the window by anything but the composer (a rule).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from tiski.connectors.messaging.replies import latest_inbound, queue_reply
from tiski.connectors.routes import ReplyRoute, messaging_route
from tiski.tickets import changes
from tiski.tickets.models import Channel, MessageKind, Ticket, Via

from . import window
from .models import WhatsAppAccount

if TYPE_CHECKING:
    from tiski.tickets.changes import TicketChange

REASON_WINDOW_CLOSED = (
    "The customer's last WhatsApp message is over 24 hours old: WhatsApp allows only an "
    "approved template now."
)


def route(ticket: Ticket) -> ReplyRoute | None:
    latest = latest_inbound(ticket, Channel.WHATSAPP)
    if latest is None:
        return None
    meta = latest.meta or {}
    account = WhatsAppAccount.objects.filter(pk=meta.get("account"), active=True).first()
    to = str(meta.get("from") or "")
    if account is None or not to:
        return None
    closed = not window.is_open(ticket)
    problem = ""
    if closed:
        problem = _(
            "The customer last wrote on WhatsApp over 24 hours ago, so WhatsApp allows no "
            "free-text reply now. Send an approved template below, or write an internal note."
        )
    return messaging_route(
        channel=Channel.WHATSAPP,
        account=account.pk,
        to=to,
        from_label=account.number,
        problem=problem,
        templates=account.templates.filter(active=True) if closed else (),
    )


def on_ticket_change(change: TicketChange) -> None:
    """After commit: public replies written on the WhatsApp channel go into the outbox."""
    if change.via not in (Via.AGENT, Via.RULE, Via.API):
        return
    for message_id, kind in change.messages:
        if kind != MessageKind.PUBLIC:
            continue
        message = changes.message(message_id)
        if message is None or message.channel != Channel.WHATSAPP:
            continue
        templated = bool((message.meta or {}).get("template"))
        closed = not templated and not window.is_open(message.ticket, now=message.created_at)
        queue_reply(message_id, Channel.WHATSAPP, refused=REASON_WINDOW_CLOSED if closed else "")
