"""Service-level events on a ticket, written by the SLA checker."""

from __future__ import annotations

from datetime import datetime

from .. import events
from ..models import Event, Ticket
from .unit import ticket_action


@ticket_action
def record_sla_event(ticket: Ticket, kind: str, *, due_at: datetime, target: str) -> Event:
    """A near-breach ("sla_warning") or breach ("sla_breach") of a target.

    The timeline and reports read the event; rules hear of it as part of
    the ticket's announced change (``TicketChange.sla_events``), like any
    other change.
    """
    return events.record_sla(ticket, kind, due_at=due_at, target=target)
