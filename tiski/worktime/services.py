"""Writing handling time: heartbeats, minutes added by hand, corrections.

Every function takes a ticket the caller has already fetched through
``Ticket.objects.visible_to(user)``: a ticket the agent may not see is
refused before it gets here.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from tiski.accounts.models import User
from tiski.tickets.models import Ticket

from .counting import credit
from .models import EntrySource, WorkEntry, WorktimeSettings

# The most one manual entry may add or a correction may set: a working day.
MAX_MANUAL_MINUTES = 12 * 60


class TrackingOff(Exception):
    """Handling time is not measured (Settings -> Surveys and reports)."""


@dataclass(frozen=True)
class Beat:
    session: uuid.UUID
    focused: bool
    idle_seconds: float


def record_beat(ticket: Ticket, agent: User, beat: Beat, now: datetime | None = None) -> WorkEntry:
    """Grow the tab's session by what the stretch since its last beat counts.

    The first beat of a session opens it and counts nothing: there is no
    stretch to measure yet.
    """
    now = now or timezone.now()
    if not WorktimeSettings.tracking():
        # Switched off in Settings: pages send no beats, and a stale tab's are refused.
        raise TrackingOff("handling time is not measured")
    with transaction.atomic():
        entry = WorkEntry.objects.select_for_update().filter(session=beat.session).first()
        if entry is None:
            return WorkEntry.objects.create(
                ticket=ticket,
                agent=agent,
                source=EntrySource.MEASURED,
                session=beat.session,
                at=now,
                last_beat_at=now,
                created_at=now,
            )
        if entry.ticket_id != ticket.pk or entry.agent_id != agent.pk:
            # A session id belongs to one tab: one agent on one ticket.
            raise PermissionDenied("session belongs to another ticket or agent")
        gained = credit(
            since=entry.last_beat_at or entry.at,
            now=now,
            focused=beat.focused,
            idle_seconds=beat.idle_seconds,
            counted_so_far=entry.seconds,
        )
        entry.seconds += gained
        entry.last_beat_at = max(now, entry.last_beat_at or now)
        entry.save(update_fields=["seconds", "last_beat_at"])
        return entry


def _check_minutes(minutes: int, *, allow_zero: bool) -> None:
    low = 0 if allow_zero else 1
    if not low <= minutes <= MAX_MANUAL_MINUTES:
        raise ValidationError(
            _("Give between %(low)s and %(high)s minutes.")
            % {"low": low, "high": MAX_MANUAL_MINUTES}
        )


def check_may_record_for(actor: User, agent: User) -> None:
    """Agents write their own time; managers and admins may correct anyone's."""
    if actor.pk != agent.pk and not actor.can_see_team_reports:
        raise PermissionDenied(_("You may record only your own handling time."))


def add_minutes(
    ticket: Ticket, agent: User, minutes: int, *, actor: User, note: str = ""
) -> WorkEntry:
    """Work done outside the ticket page (a call, a visit): added by hand."""
    check_may_record_for(actor, agent)
    _check_minutes(minutes, allow_zero=False)
    return WorkEntry.objects.create(
        ticket=ticket,
        agent=agent,
        source=EntrySource.MANUAL,
        seconds=minutes * 60,
        note=note[:200],
        recorded_by=actor,
    )


def set_total_minutes(
    ticket: Ticket, agent: User, minutes: int, *, actor: User, note: str = ""
) -> WorkEntry | None:
    """Correct an agent's total on the ticket to ``minutes``.

    Written as the difference to what is recorded now, so what was measured
    stays visible and the correction says who changed it and when.
    """
    check_may_record_for(actor, agent)
    _check_minutes(minutes, allow_zero=True)
    with transaction.atomic():
        # Lock the agent's rows on the ticket so two corrections at once add up right.
        list(WorkEntry.objects.select_for_update().filter(ticket=ticket, agent=agent).values("pk"))
        current = agent_seconds(ticket, agent)
        difference = minutes * 60 - current
        if difference == 0:
            return None
        return WorkEntry.objects.create(
            ticket=ticket,
            agent=agent,
            source=EntrySource.CORRECTION,
            seconds=difference,
            note=note[:200],
            recorded_by=actor,
        )


def agent_seconds(ticket: Ticket, agent: User) -> int:
    total = WorkEntry.objects.filter(ticket=ticket, agent=agent).aggregate(s=Sum("seconds"))["s"]
    return max(0, total or 0)


@dataclass(frozen=True)
class TicketTime:
    """Each agent's handling time on a ticket, most first, and how many of
    its entries were added or corrected by hand."""

    totals: list[tuple[User, int]]
    by_hand: int


def ticket_time(ticket: Ticket) -> TicketTime:
    """The agents who worked on the ticket with their sums, in one query.

    The card shows each agent by name, so the agents are what is read
    (summed over their entries on this ticket), not the entries and then
    the agents; the count of entries by hand tells the card whether it has
    any to list at all.
    """
    agents = (
        User.objects.filter(work_entries__ticket=ticket)
        .annotate(
            worked=Sum("work_entries__seconds"),
            by_hand=Count("work_entries", filter=~Q(work_entries__source=EntrySource.MEASURED)),
        )
        .only("name", "email")
        .order_by("-worked")
    )
    rows = list(agents)
    return TicketTime(
        totals=[(agent, max(0, agent.worked or 0)) for agent in rows],
        by_hand=sum(agent.by_hand for agent in rows),
    )
