"""The 24-hour customer-service window: free text only within a day of the customer's message.

WhatsApp refuses a free-form message to a customer whose last message is
over 24 hours old; only an approved template may open the conversation
again. The desk checks before writing, so the agent reads why at once
instead of a failure from Meta later.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from tiski.tickets.models import Channel, Message, MessageKind, Ticket

WINDOW = timedelta(hours=24)


def last_customer_message_at(ticket: Ticket) -> datetime | None:
    return (
        Message.objects.filter(ticket=ticket, kind=MessageKind.CUSTOMER, channel=Channel.WHATSAPP)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )


def is_open(ticket: Ticket, now: datetime | None = None) -> bool:
    last = last_customer_message_at(ticket)
    return last is not None and (now or timezone.now()) - last < WINDOW
