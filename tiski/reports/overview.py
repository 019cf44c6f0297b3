"""The live overview: the desk's situation now, in a handful of bounded queries.

Every figure is counted from ``Ticket.objects.visible_to(user)`` (managers
and admins: everything they see; agents: their own tickets only) and only
from rows an index finds without reading the history:

- the unsolved tickets (a small share of a desk that has run for years,
  served by the ``UNSOLVED`` partial indexes) give the counts by status,
  unassigned, breaching and near breach, and the oldest waiting customer,
  in two queries;
- "created today" walks the ``-created_at`` index from local midnight;
- "solved today" walks the ``(status, -updated_at)`` index from local
  midnight: a ticket solved today was updated today, so the solved and
  closed tickets touched today are the only candidates;
- both leave out tickets merged into another (closed by the merge), as
  every report does.

Breaching and near breach read the SLA sort keys the SLA service keeps on
the ticket (``queue_due_at``, ``sla_warn_at``), the same ones the queue's
countdowns show. Since they change with the clock as well as with the
tickets, the overview also says when the next figure changes by time alone
(the next deadline or warning to pass, or midnight) so the page can refresh
at that moment instead of polling.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import Count, Exists, F, Min, OuterRef, Q, QuerySet
from django.utils import timezone

from tiski.accounts.models import User
from tiski.core import desk
from tiski.tickets.models import NO_DEADLINE, UNSOLVED, Status, Ticket, TicketMerge

from .access import can_see_team_reports

OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD)
# Waiting for us: a customer spoke last on a ticket that is ours to move.
WAITING_STATUSES = (Status.NEW, Status.OPEN)
SOLVED_STATUSES = (Status.SOLVED, Status.CLOSED)


@dataclass(frozen=True)
class Waiting:
    number: int
    subject: str
    since: datetime


@dataclass(frozen=True)
class OverviewFigures:
    now: datetime
    day_start: datetime
    day_end: datetime
    # Only the user's own tickets (an agent), or everything they see (managers, admins).
    own_only: bool
    by_status: dict[str, int]
    unassigned: int
    breaching: int
    near_breach: int
    created_today: int
    solved_today: int
    oldest_waiting: Waiting | None
    # When a figure next changes with the clock alone.
    next_change_at: datetime

    @property
    def open_total(self) -> int:
        return sum(self.by_status.values())

    @property
    def oldest_wait_seconds(self) -> float:
        if self.oldest_waiting is None:
            return 0.0
        return max(0.0, (self.now - self.oldest_waiting.since).total_seconds())


def local_day(now: datetime, tz: zoneinfo.ZoneInfo) -> tuple[datetime, datetime]:
    """Local midnight to the next local midnight (23 or 25 hours on DST days)."""
    local = now.astimezone(tz)
    start = datetime(local.year, local.month, local.day, tzinfo=tz)
    following = start.date() + timedelta(days=1)
    end = datetime(following.year, following.month, following.day, tzinfo=tz)
    # As UTC instants: Python subtracts two times of one zone on the wall clock.
    return start.astimezone(UTC), end.astimezone(UTC)


def scope(user: User) -> tuple[QuerySet[Ticket], bool]:
    """The tickets the user's overview counts, and whether it is their own only."""
    tickets = Ticket.objects.visible_to(user)
    if can_see_team_reports(user):
        return tickets, False
    return tickets.filter(assignee_id=user.pk), True


def compute(
    user: User, now: datetime | None = None, tz: zoneinfo.ZoneInfo | None = None
) -> OverviewFigures:
    now = now or timezone.now()
    tz = tz or zoneinfo.ZoneInfo(desk.time_zone_name())
    day_start, day_end = local_day(now, tz)
    tickets, own_only = scope(user)
    unsolved = tickets.filter(UNSOLVED).order_by()

    has_deadline = Q(queue_due_at__lt=NO_DEADLINE)
    counts = unsolved.aggregate(
        **{status: Count("id", filter=Q(status=status)) for status in OPEN_STATUSES},
        unassigned=Count("id", filter=Q(assignee__isnull=True)),
        breaching=Count("id", filter=Q(queue_due_at__lt=now)),
        near=Count("id", filter=has_deadline & Q(queue_due_at__gte=now, sla_warn_at__lte=now)),
        next_due=Min("queue_due_at", filter=has_deadline & Q(queue_due_at__gte=now)),
        next_warn=Min("sla_warn_at", filter=has_deadline & Q(sla_warn_at__gt=now)),
    )
    oldest = (
        unsolved.filter(status__in=WAITING_STATUSES, last_customer_message_at__isnull=False)
        .filter(
            Q(last_agent_reply_at__isnull=True)
            | Q(last_agent_reply_at__lt=F("last_customer_message_at"))
        )
        .order_by("last_customer_message_at", "id")
        .values_list("number", "subject", "last_customer_message_at")
        .first()
    )
    # A ticket merged into another counts on the one it went into (docs/reports.md).
    merged = Exists(TicketMerge.objects.filter(source_id=OuterRef("pk"), undone_at__isnull=True))
    created_today = (
        tickets.filter(created_at__gte=day_start, created_at__lt=day_end).exclude(merged).count()
    )
    solved_today = (
        tickets.filter(
            status__in=SOLVED_STATUSES,
            updated_at__gte=day_start,
            solved_at__gte=day_start,
            solved_at__lt=day_end,
        )
        .exclude(merged)
        .count()
    )
    candidates = [day_end]
    if counts["next_warn"] is not None:
        candidates.append(counts["next_warn"])
    if counts["next_due"] is not None:
        # "Breaching" starts just after the deadline (``queue_due_at < now``).
        candidates.append(counts["next_due"] + timedelta(seconds=1))
    return OverviewFigures(
        now=now,
        day_start=day_start,
        day_end=day_end,
        own_only=own_only,
        by_status={status: counts[status] for status in OPEN_STATUSES},
        unassigned=counts["unassigned"],
        breaching=counts["breaching"],
        near_breach=counts["near"],
        created_today=created_today,
        solved_today=solved_today,
        oldest_waiting=Waiting(*oldest) if oldest else None,
        next_change_at=min(candidates),
    )
