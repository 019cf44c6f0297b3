"""Background work started from the desk."""

from __future__ import annotations

from celery import shared_task

from tiski.accounts.models import User
from tiski.tickets import actions
from tiski.tickets.models import Via

from .bulk import BulkForm, visible_tickets


@shared_task(name="tiski.desk.bulk_update")
def bulk_update(user_id: int, ticket_ids: list[int], data: dict[str, str]) -> int | None:
    """A bulk change of a whole view: one `BulkChange`, so one undo, like a small one.

    The choice is checked again and the tickets read again through
    ``visible_to``: what the agent may change is decided now, not when asked.
    """
    user = User.objects.filter(pk=user_id, is_active=True).first()
    form = BulkForm(data)
    if user is None or not form.is_valid():
        return None
    tickets = visible_tickets(user, ticket_ids)
    record = actions.bulk_update_tickets(
        tickets,
        actor=user,
        via=Via.AGENT,
        fields=form.changes(),
        add_tags=form.tags_to_add(),
        remove_tags=form.tags_to_remove(),
    )
    return record.pk
