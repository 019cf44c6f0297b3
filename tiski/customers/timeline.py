"""The customer timeline: everything with a person or an organisation, newest first.

Messages of every ticket the person requested, was copied on or wrote in,
across channels, and the calls that were never logged on a ticket (a
logged call is already a message). Tickets come only through
`Ticket.objects.visible_to`; an unlogged call is shown to those who could
see its line's team's tickets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q

from tiski.tickets.models import Channel, Message, MessageKind, Ticket

from .models import Contact, Organisation


@dataclass(frozen=True)
class TimelineItem:
    at: datetime
    channel: str
    message: Message | None = None
    call: object | None = None  # tiski.phone.models.Call

    @property
    def ticket(self) -> Ticket | None:
        return self.message.ticket if self.message else None


def _calls_visible_to(user, contact_ids: list[int]):
    from tiski.phone.models import Call

    calls = Call.objects.filter(contact_id__in=contact_ids, message__isnull=True)
    if not user.is_admin:
        team_ids = list(user.teams.values_list("id", flat=True))
        # The same rule as Ticket.objects.visible_to, applied to the line's team.
        calls = calls.filter(
            Q(line__team__isnull=True)
            | Q(line__team_id__in=team_ids)
            | (Q(agent=user) & Q(line__team__restricted=False))
        )
    return calls.select_related("line", "agent")


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
    calls = _calls_visible_to(user, contact_ids).order_by("-started_at", "-id")
    if before is not None:
        messages = messages.filter(created_at__lt=before)
        calls = calls.filter(started_at__lt=before)
    items = [TimelineItem(m.created_at, m.channel, message=m) for m in messages[:limit]]
    items += [TimelineItem(c.started_at, Channel.PHONE, call=c) for c in calls[:limit]]
    items.sort(key=lambda item: item.at, reverse=True)
    return items[:limit]


def for_contact(user, contact: Contact, **kw) -> list[TimelineItem]:
    return build(user, [contact.pk], **kw)


def for_organisation(user, organisation: Organisation, **kw) -> list[TimelineItem]:
    ids = list(organisation.contacts.values_list("pk", flat=True))
    return build(user, ids, **kw)
