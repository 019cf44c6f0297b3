"""Background work of search. Tasks take ids and are safe to retry."""

from __future__ import annotations

from celery import shared_task

from .indexing import index_tickets


@shared_task(name="tiski.search.index_ticket", acks_late=True)
def index_ticket(ticket_id: int) -> None:
    index_tickets([ticket_id])


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
