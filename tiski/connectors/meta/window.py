"""Meta's messaging window: when a page may answer a customer, and how.

Within 24 hours of the customer's last message a reply is a normal
RESPONSE. From 24 hours to 7 days Meta allows only a person's answer,
sent with the HUMAN_AGENT message tag (the composer says so). After 7 days
nothing can be sent on the channel until the customer writes again. The
desk checks before writing, so the agent reads why at once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from tiski.tickets.models import Message, MessageKind, Ticket

WINDOW = timedelta(hours=24)
HUMAN_AGENT_WINDOW = timedelta(days=7)


class State:
    OPEN = "open"
    HUMAN_AGENT = "human_agent"  # only with the HUMAN_AGENT tag
    CLOSED = "closed"


def last_customer_message_at(ticket: Ticket, channel: str) -> datetime | None:
    return (
        Message.objects.filter(ticket=ticket, kind=MessageKind.CUSTOMER, channel=channel)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )


def state_after(last: datetime | None, now: datetime) -> str:
    """Pure: the window at ``now`` for a customer who last wrote at ``last``."""
    if last is None:
        return State.CLOSED
    age = now - last
    if age < WINDOW:
        return State.OPEN
    if age < HUMAN_AGENT_WINDOW:
        return State.HUMAN_AGENT
    return State.CLOSED


def state(ticket: Ticket, channel: str, now: datetime | None = None) -> str:
    return state_after(last_customer_message_at(ticket, channel), now or timezone.now())
