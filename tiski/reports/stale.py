"""Facts that go stale without a change of their ticket, and their recount.

A ticket's facts are rewritten after each of its changes. Two edits change
facts without touching any ticket: a contact moving to another
organisation (the facts carry the requester's organisation) and an edited
business calendar (the business-time columns are measured in it). These
receivers notice them and queue a recount of exactly the affected tickets,
by task name (the edit's request does not wait; the rollup moves with the
facts as usual).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet

from tiski.core.tasks import enqueue

CHUNK = 500
ORGANISATION_TASK = "tiski.reports.refresh_contact_facts"
CALENDAR_TASK = "tiski.reports.refresh_calendar_facts"


# --- receivers ----------------------------------------------------------------


def contact_before_save(sender: Any, instance: Any, update_fields: Any = None, **kw: Any) -> None:
    if instance.pk is None or (update_fields is not None and "organisation" not in update_fields):
        return
    old = sender.objects.filter(pk=instance.pk).values_list("organisation_id", flat=True).first()
    instance._tiski_organisation_was = old


def contact_saved(sender: Any, instance: Any, created: bool, **kw: Any) -> None:
    was = getattr(instance, "_tiski_organisation_was", instance.organisation_id)
    if created or was == instance.organisation_id:
        return
    contact_id = instance.pk
    transaction.on_commit(lambda: enqueue(ORGANISATION_TASK, [contact_id]))


def organisation_deleted(sender: Any, instance: Any, **kw: Any) -> None:
    # Its contacts lose it by SET NULL in the database (no contact signals).
    from .models import TicketFact

    ids = list(
        TicketFact.objects.filter(organisation_id=instance.pk)
        .values_list("requester_id", flat=True)
        .distinct()
    )
    if ids:
        transaction.on_commit(lambda: enqueue(ORGANISATION_TASK, ids))


def calendar_changed(sender: Any, instance: Any, **kw: Any) -> None:
    calendar_id = instance.pk
    transaction.on_commit(lambda: enqueue(CALENDAR_TASK, calendar_id))


def connect() -> None:
    from django.db.models.signals import post_delete, post_save, pre_save

    from tiski.customers.models import Contact, Organisation
    from tiski.sla.models import Calendar

    uid = "tiski.reports.stale"
    pre_save.connect(contact_before_save, sender=Contact, dispatch_uid=f"{uid}.contact.pre")
    post_save.connect(contact_saved, sender=Contact, dispatch_uid=f"{uid}.contact")
    post_delete.connect(organisation_deleted, sender=Organisation, dispatch_uid=f"{uid}.org")
    post_save.connect(calendar_changed, sender=Calendar, dispatch_uid=f"{uid}.calendar")
    post_delete.connect(calendar_changed, sender=Calendar, dispatch_uid=f"{uid}.calendar.del")


# --- the recounts (run by the tasks) ---------------------------------------------


def _chunks(qs: QuerySet) -> Iterator[list[int]]:
    """Ticket ids of ``qs``, a chunk at a time by keyset."""
    last = 0
    while True:
        chunk = list(qs.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:CHUNK])
        if not chunk:
            return
        yield chunk
        last = chunk[-1]


def _refresh(qs: QuerySet) -> int:
    from . import facts

    return sum(facts.refresh(chunk) for chunk in _chunks(qs))


def refresh_contacts(contact_ids: list[int]) -> int:
    """Recount the facts of these contacts' tickets (a contact has few; all are
    recounted, which also mends any other staleness they had)."""
    from tiski.tickets.models import Ticket

    return _refresh(Ticket.objects.filter(requester_id__in=contact_ids))


def refresh_calendar(calendar_id: int) -> int:
    """Recount the facts measured in this calendar: its policies' tickets, and the
    tickets without a policy calendar when it is (or was, if deleted) the default."""
    from tiski.sla.models import Calendar
    from tiski.tickets.models import Ticket

    measured_in = Q(sla__policy__calendar_id=calendar_id)
    default = Calendar.default()
    if default.pk is None or default.pk == calendar_id or not _exists(calendar_id):
        measured_in |= Q(sla__isnull=True) | Q(sla__policy__isnull=True)
    return _refresh(Ticket.objects.filter(measured_in))


def _exists(calendar_id: int) -> bool:
    from tiski.sla.models import Calendar

    return Calendar.objects.filter(pk=calendar_id).exists()
