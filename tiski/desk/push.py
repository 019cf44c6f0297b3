"""After a ticket change, tell every open desk tab (a ticket-change handler)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from tiski.core.realtime import DESK_GROUP, send_many, ticket_group
from tiski.tickets.models import Ticket

if TYPE_CHECKING:
    from tiski.tickets.changes import TicketChange


def on_ticket_change(change: TicketChange) -> None:
    on_ticket_changes([change])


def on_ticket_changes(changes: Iterable[TicketChange]) -> None:
    """Lists re-read on the desk group, the open ticket page on its own group.

    Runs after commit and carries ids only, plus the three facts that decide
    who may see the ticket (its team, whether that team is restricted, its
    assignee): read here once per change, so that each desk socket decides
    with `Viewer.sees` instead of a query of its own per change.
    """
    changes = list(changes)
    facts = {
        pk: (team_id, bool(restricted), assignee_id)
        for pk, team_id, restricted, assignee_id in Ticket.objects.filter(
            pk__in={c.ticket_id for c in changes}
        ).values_list("pk", "team_id", "team__restricted", "assignee_id")
    }
    messages: list[tuple[str, dict[str, Any]]] = []
    for change in changes:
        if change.ticket_id not in facts:
            continue  # deleted since: nobody may see it
        team_id, restricted, assignee_id = facts[change.ticket_id]
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
            "team_id": team_id,
            "team_restricted": restricted,
            "assignee_id": assignee_id,
        }
        messages.append((DESK_GROUP, payload))
        messages.append((ticket_group(change.ticket_id), payload))
    send_many(messages)


on_ticket_change.handle_many = on_ticket_changes  # type: ignore[attr-defined]
