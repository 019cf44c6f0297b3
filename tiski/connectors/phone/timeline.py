"""The phone app's items on the customer timeline: calls never logged on a ticket.

A logged call is already a message on its ticket, which the timeline shows
anyway. Registered in `PhoneConfig.ready` as a `customers.timeline` source,
so the customers app lists calls without importing the phone app.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q

from tiski.customers.timeline import TimelineItem
from tiski.tickets.models import Channel

from .models import Call


def _visible_to(user, contact_ids: list[int]):
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


def unlogged_calls(
    user, contact_ids: list[int], *, before: datetime | None, limit: int
) -> list[TimelineItem]:
    calls = _visible_to(user, contact_ids).order_by("-started_at", "-id")
    if before is not None:
        calls = calls.filter(started_at__lt=before)
    return [TimelineItem(c.started_at, Channel.PHONE, call=c) for c in calls[:limit]]
