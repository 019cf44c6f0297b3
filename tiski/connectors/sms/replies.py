"""Replies on an SMS conversation go back by SMS, from the number the customer wrote to.

``route`` (the registry's) decides, before the desk writes a reply, where it
would go (the composer shows it, with the length limit and an opt-out); the
ticket-change handler ``on_ticket_change`` puts each public reply written
on the SMS channel into the outbox after commit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from tiski.connectors.messaging import outbox
from tiski.connectors.messaging.replies import latest_inbound
from tiski.connectors.models import OutboundMessage
from tiski.connectors.routes import ReplyRoute, messaging_route
from tiski.tickets import changes
from tiski.tickets.models import Channel, MessageKind, Ticket, Via

from . import optout
from .models import SmsAccount
from .transport import REASON_OPTED_OUT

if TYPE_CHECKING:
    from tiski.tickets.changes import TicketChange


def route(ticket: Ticket) -> ReplyRoute | None:
    """The registry's route for SMS: None when the conversation is not by SMS.

    The conversation is SMS when the customer's latest message came by SMS.
    """
    latest = latest_inbound(ticket, Channel.SMS)
    if latest is None:
        return None
    meta = latest.meta or {}
    account = SmsAccount.objects.filter(pk=meta.get("account"), active=True).first()
    to = str(meta.get("from") or "")
    if account is None or not to:
        return None
    stop = optout.opt_out_of(to)
    problem = ""
    if stop is not None:
        problem = _(
            "This customer opted out of SMS on %(date)s (they sent %(keyword)s), so a reply by "
            "SMS cannot be sent. Write an internal note, or reply by email if they have an "
            "address."
        ) % {
            "date": date_format(timezone.localtime(stop.opted_out_at), "SHORT_DATE_FORMAT"),
            "keyword": stop.keyword or "STOP",
        }
    return messaging_route(
        channel=Channel.SMS, account=account.pk, to=to, from_label=account.number, problem=problem
    )


def on_ticket_change(change: TicketChange) -> None:
    """After commit: public replies written on the SMS channel go into the outbox."""
    if change.via not in (Via.AGENT, Via.RULE, Via.API):
        return
    for message_id, kind in change.messages:
        if kind == MessageKind.PUBLIC:
            queue_reply(message_id)


def queue_reply(message_id: int) -> OutboundMessage | None:
    message = changes.message(message_id)
    if message is None or message.channel != Channel.SMS:
        return None
    if OutboundMessage.objects.filter(message=message).exists():
        return None  # the handler ran already (a repeated announcement)
    meta = message.meta or {}
    to = str(meta.get("to") or "")
    if not to:
        return None
    refused = REASON_OPTED_OUT % {"number": to} if optout.opted_out(to) else ""
    return outbox.queue_message(
        channel=Channel.SMS,
        # "sms_account": replies written before every channel's meta said "account".
        account_id=meta.get("account", meta.get("sms_account")),
        recipient=to,
        body=message.text,
        ticket=message.ticket,
        message=message,
        automatic=message.author_user_id is None,
        refused=refused,
    )
