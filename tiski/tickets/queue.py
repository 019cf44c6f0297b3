"""The agent's queue: "give me the next ticket" without two agents colliding."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import connection, transaction

from .actions import update_ticket
from .models import Status, Ticket, Via

if TYPE_CHECKING:
    from tiski.accounts.models import User

# Same order as the inbox's default view (desk.inbox.SORTS["queue"]).
QUEUE_ORDER = ("queue_due_at", "-priority_rank", "created_at", "id")
TAKEABLE = (Status.NEW, Status.OPEN)


def take_next_ticket(user: User) -> Ticket | None:
    """Assign the most urgent unassigned ticket the agent may see to them.

    On PostgreSQL the candidate row is locked with SKIP LOCKED, so an agent
    pressing at the same moment skips it and gets the next one instead of
    waiting or getting the same ticket. SQLite runs write transactions one
    at a time (IMMEDIATE mode), so the second agent sees the first one's
    assignment.
    """
    with transaction.atomic():
        candidates = (
            Ticket.objects.visible_to(user)
            .filter(status__in=TAKEABLE, assignee__isnull=True)
            .order_by(*QUEUE_ORDER)
        )
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True, of=("self",))
        ticket = candidates.first()
        if ticket is None:
            return None
        update_ticket(ticket, actor=user, via=Via.AGENT, assignee=user)
        return ticket
