"""A team's workload now: its open tickets per agent, what breaches, who waits longest.

For a team lead (the teams they lead), managers and admins (every team).
Counted in one grouped query over the team's unsolved tickets read through
``visible_to``, so it stays as cheap as the overview: unsolved tickets are a
small, indexed share of a desk's history. Every number links to the desk's
list of the same tickets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, F, Min, Q

from tiski.accounts.models import Team, User
from tiski.tickets.models import NO_DEADLINE, Ticket

from .access import can_see_team_reports
from .overview import WAITING_STATUSES


@dataclass(frozen=True)
class Load:
    agent: User | None  # None: the team's unassigned tickets
    open: int = 0
    breaching: int = 0
    near_breach: int = 0
    oldest_wait_since: datetime | None = None


@dataclass(frozen=True)
class TeamWorkload:
    team: Team
    rows: list[Load]  # the members, busiest first
    unassigned: Load
    outside: list[Load]  # agents outside the team holding its tickets

    @property
    def total(self) -> int:
        return self.unassigned.open + sum(r.open for r in self.rows + self.outside)


def teams_for(user: User) -> list[Team]:
    """The teams whose workload this user may read."""
    if can_see_team_reports(user):
        return list(Team.objects.order_by("name"))
    return list(user.led_teams.order_by("name"))


def compute(user: User, team: Team, now: datetime) -> TeamWorkload:
    waiting = Q(status__in=WAITING_STATUSES, last_customer_message_at__isnull=False) & (
        Q(last_agent_reply_at__isnull=True)
        | Q(last_agent_reply_at__lt=F("last_customer_message_at"))
    )
    grouped = (
        Ticket.objects.visible_to(user)
        .unsolved()
        .filter(team=team)
        .order_by()
        .values("assignee")
        .annotate(
            open=Count("pk"),
            breaching=Count("pk", filter=Q(queue_due_at__lt=now)),
            # The overview's definitions, so the two pages agree.
            near_breach=Count(
                "pk",
                filter=Q(queue_due_at__lt=NO_DEADLINE, queue_due_at__gte=now, sla_warn_at__lte=now),
            ),
            oldest=Min("last_customer_message_at", filter=waiting),
        )
    )
    by_agent = {row["assignee"]: row for row in grouped}
    members = list(team.members.filter(is_active=True).order_by("name"))
    ids = {m.pk for m in members}
    others = User.objects.filter(pk__in=[pk for pk in by_agent if pk and pk not in ids])

    def load(agent: User | None) -> Load:
        row = by_agent.get(agent.pk if agent else None)
        if row is None:
            return Load(agent)
        return Load(agent, row["open"], row["breaching"], row["near_breach"], row["oldest"])

    rows = sorted((load(m) for m in members), key=lambda r: (-r.open, r.agent.name))
    outside = sorted((load(u) for u in others), key=lambda r: (-r.open, r.agent.name))
    return TeamWorkload(team=team, rows=rows, unassigned=load(None), outside=outside)
