"""The search index's after-change handler: queue a re-index of the ticket.

Named in ``settings.TISKI_TICKET_CHANGE_HANDLERS``. It only queues tasks
(`tasks.py`), which call `indexing`; `indexing` imports neither, so the
three modules import each other in one direction only.
"""

from __future__ import annotations

from tiski.tickets.changes import TicketChange

from .tasks import index_ticket, index_ticket_list


def on_ticket_change(change: TicketChange) -> None:
    """Ticket-change handler (runs after commit): refresh that ticket's entry."""
    index_ticket.delay(change.ticket_id)


def on_ticket_changes(changes: list[TicketChange]) -> None:
    """The bulk form: one task (one statement) for all the tickets."""
    index_ticket_list.delay(sorted({change.ticket_id for change in changes}))


on_ticket_change.handle_many = on_ticket_changes  # type: ignore[attr-defined]
