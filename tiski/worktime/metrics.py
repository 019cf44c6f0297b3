"""Handling time summed for reports: the one place the figures come from.

``handling_rows`` is what the handling report page shows and what the
reports app's registry, exports and ``tiski report handling`` call.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils.translation import gettext as _

from tiski.accounts.models import Team, User
from tiski.tickets.models import Ticket, TicketType

from .models import WorkEntry

GROUPINGS = ("agent", "team", "type", "ticket", "day")


@dataclass(frozen=True)
class HandlingRow:
    # The grouped value as text ("" for none), for links and exports: a user,
    # team or type id, a ticket's number, or an ISO date.
    key: str
    label: str
    seconds: int
    tickets: int

    @property
    def minutes(self) -> int:
        return round(self.seconds / 60)

    @property
    def average_seconds(self) -> int:
        return round(self.seconds / self.tickets) if self.tickets else 0


def entries_for(
    tickets: QuerySet[Ticket], start: datetime, end: datetime, agent: User | None = None
) -> QuerySet[WorkEntry]:
    """Entries whose work falls in [start, end) on the given tickets.

    ``tickets`` comes from ``visible_to`` (and the report's filters), so a
    restricted team's time stays out of an outsider's figures.
    """
    qs = WorkEntry.objects.filter(at__gte=start, at__lt=end, ticket__in=tickets.values("pk"))
    if agent is not None:
        qs = qs.filter(agent=agent)
    return qs


def handling_rows(
    tickets: QuerySet[Ticket],
    start: datetime,
    end: datetime,
    by: str = "agent",
    agent: User | None = None,
) -> list[HandlingRow]:
    """Handling time per agent, team, type, ticket or day, most time first (days in order).

    Team and type are the ticket's current ones, as every report filters by
    current values. Tickets counts the distinct tickets worked on.
    """
    if by not in GROUPINGS:
        raise ValueError(f"unknown grouping {by!r}")
    field = {
        "agent": "agent_id",
        "team": "ticket__team_id",
        "type": "ticket__type_id",
        "ticket": "ticket_id",
        "day": "day",
    }[by]
    qs = entries_for(tickets, start, end, agent)
    if by == "day":
        qs = qs.annotate(day=TruncDate("at"))
    grouped = list(
        qs.values(field)
        .annotate(seconds=Sum("seconds"), tickets=Count("ticket_id", distinct=True))
        .order_by(field)
    )
    labels = _labels(by, [row[field] for row in grouped])
    numbers = (
        dict(Ticket.objects.filter(pk__in=[r[field] for r in grouped]).values_list("pk", "number"))
        if by == "ticket"
        else {}
    )
    rows = [
        HandlingRow(
            key="" if row[field] is None else str(numbers.get(row[field], row[field])),
            label=labels.get(row[field], str(row[field])),
            seconds=max(0, row["seconds"] or 0),
            tickets=row["tickets"],
        )
        for row in grouped
    ]
    if by != "day":
        rows.sort(key=lambda r: (-r.seconds, r.label))
    return rows


def total_seconds(
    tickets: QuerySet[Ticket], start: datetime, end: datetime, agent: User | None = None
) -> int:
    total = entries_for(tickets, start, end, agent).aggregate(s=Sum("seconds"))["s"]
    return max(0, total or 0)


def _labels(by: str, keys: list) -> dict:
    present = [k for k in keys if k is not None]
    none_label = {"team": _("No team"), "type": _("No type")}.get(by, "")
    labels: dict = {None: none_label}
    if by == "agent":
        labels.update({u.pk: u.name or u.email for u in User.objects.filter(pk__in=present)})
    elif by == "team":
        labels.update(dict(Team.objects.filter(pk__in=present).values_list("pk", "name")))
    elif by == "type":
        labels.update({t.pk: str(t) for t in TicketType.objects.filter(pk__in=present)})
    elif by == "ticket":
        labels.update(
            {
                pk: f"#{number} {subject}"
                for pk, number, subject in Ticket.objects.filter(pk__in=present).values_list(
                    "pk", "number", "subject"
                )
            }
        )
    elif by == "day":
        labels.update({k: k.isoformat() for k in present})
    return labels
