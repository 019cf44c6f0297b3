"""The customer timeline: everything with a person or an organisation, newest first.

Messages of every ticket the person requested, was copied on or wrote in,
across channels, and what other apps add as timeline sources (the phone
app: calls that were never logged on a ticket; a logged call is already a
message). Tickets come only through `Ticket.objects.visible_to`; each
source applies the same rule to its own rows. Sources register from their
``AppConfig.ready()`` with `add_source`, so this module imports nothing
above the domain.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q

from tiski.tickets.models import Message, MessageKind, Ticket

from .models import Contact, Organisation


@dataclass(frozen=True)
class TimelineItem:
    at: datetime
    channel: str
    message: Message | None = None
    call: object | None = None  # a phone call (tiski.connectors.phone) not logged on a ticket

    @property
    def ticket(self) -> Ticket | None:
        return self.message.ticket if self.message else None


# source(user, contact_ids, before=..., limit=...) -> newest items first, at most limit
TimelineSource = Callable[..., list[TimelineItem]]
_sources: list[TimelineSource] = []


def add_source(source: TimelineSource) -> None:
    """Let another app add items to every customer timeline (once per source)."""
    if source not in _sources:
        _sources.append(source)


def build(
    user, contact_ids: list[int], *, before: datetime | None = None, limit: int = 100
) -> list[TimelineItem]:
    tickets = Ticket.objects.visible_to(user).filter(
        Q(requester_id__in=contact_ids) | Q(ccs__in=contact_ids)
    )
    messages = (
        Message.objects.filter(
            Q(ticket__in=tickets.values("pk")) | Q(author_contact_id__in=contact_ids),
            ticket__in=Ticket.objects.visible_to(user).values("pk"),
        )
        .exclude(kind=MessageKind.SYSTEM)
        .select_related("ticket", "author_user", "author_contact")
        # The timeline shows the stored preview, never the bodies.
        .defer("text", "html")
        .order_by("-created_at", "-id")
    )
    if before is not None:
        messages = messages.filter(created_at__lt=before)
    items = [TimelineItem(m.created_at, m.channel, message=m) for m in messages[:limit]]
    for source in _sources:
        items += source(user, contact_ids, before=before, limit=limit)
    items.sort(key=lambda item: item.at, reverse=True)
    return items[:limit]


def for_contact(user, contact: Contact, **kw) -> list[TimelineItem]:
    return build(user, [contact.pk], **kw)


def for_organisation(user, organisation: Organisation, **kw) -> list[TimelineItem]:
    ids = list(organisation.contacts.values_list("pk", flat=True))
    return build(user, ids, **kw)
