"""Background work of search. Tasks take ids and are safe to retry."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="tiski.search.index_ticket", acks_late=True)
def index_ticket(ticket_id: int) -> None:
    from .indexing import index_tickets

    index_tickets([ticket_id])


@shared_task(name="tiski.search.index_ticket_list", acks_late=True)
def index_ticket_list(ticket_ids: list[int]) -> None:
    from .indexing import index_tickets

    index_tickets(ticket_ids)
