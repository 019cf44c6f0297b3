"""After a ticket change, tell every open desk tab (a ticket-change handler)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tiski.core.realtime import DESK_GROUP, send, ticket_group

if TYPE_CHECKING:
    from tiski.tickets.changes import TicketChange


def on_ticket_change(change: TicketChange) -> None:
    """Lists re-read on the desk group, the open ticket page on its own group.

    Runs after commit; carries ids only (the consumer checks visibility)."""
    if change.created:
        reason = "created"
    elif change.messages:
        reason = "message"
    else:
        reason = "updated"
    payload = {
        "type": "ticket.changed",
        "ticket_id": change.ticket_id,
        "reason": reason,
        "message_id": change.last_message_id,
    }
    send(DESK_GROUP, payload)
    send(ticket_group(change.ticket_id), payload)
