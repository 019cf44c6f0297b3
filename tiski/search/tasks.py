"""Background work of search. Tasks take ids and are safe to retry."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from tiski.core.task_batches import taken_calls

from .indexing import index_tickets

INDEX_TICKET_TASK = "tiski.search.index_ticket"
# Waiting calls of `index_ticket` taken with one: a desk writing many replies
# (a busy web chat: one call per agent reply) queues dozens a second.
WAITING_CALLS_PER_BATCH = 200


@shared_task(name=INDEX_TICKET_TASK, acks_late=True)
def index_ticket(ticket_id: int) -> None:
    """Index one ticket, and the tickets of the `index_ticket` calls waiting
    right behind this one in the default queue, in one pass
    (`core.task_batches`): a worker ran a task of its own for each agent's
    reply before, several milliseconds of a task's own bookkeeping for an
    index write of a few. Indexing reads the ticket as it is now, so a
    ticket indexed with an earlier call's than its own is indexed the same."""
    queue = getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery")
    with taken_calls(INDEX_TICKET_TASK, queue, WAITING_CALLS_PER_BATCH) as waiting:
        ids = sorted({ticket_id, *(int(args[0]) for args in waiting)})
        index_tickets(ids)


@shared_task(name="tiski.search.index_ticket_list", acks_late=True)
def index_ticket_list(ticket_ids: list[int]) -> None:
    index_tickets(ticket_ids)


# Per sweep: a few seconds of work, so the sweep never outlives its period.
SWEEP_BATCH = 2000


@shared_task(name="tiski.search.index_missing", acks_late=True)
def index_missing(limit: int = SWEEP_BATCH) -> int:
    """Index tickets that have no index entry yet (lost tasks, an index that a
    migration emptied); after an upgrade the index fills itself this way."""
    from tiski.tickets.models import Ticket

    ids = list(
        Ticket.objects.filter(search_document__isnull=True)
        .order_by("-id")
        .values_list("id", flat=True)[:limit]
    )
    index_tickets(ids)
    return len(ids)
