"""The inbox: named views, filters, sorting and keyset pagination.

Everything here starts from `Ticket.objects.visible_to(user)`. Pages are
cut with keyset pagination (WHERE (sort_key, id) < (last_key, last_id)) so
page 500 costs what page 1 costs, and counts are bounded so a view of a
million tickets never counts them all on every page load.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from tiski.accounts.models import Team, User
from tiski.tickets.models import UNSOLVED, Channel, Priority, Status, Ticket

COUNT_CAP = 10_000


@dataclass(frozen=True)
class InboxView:
    key: str
    label: str
    filter: Callable[[User], Q]
    team_id: int | None = None


def standard_views() -> list[InboxView]:
    return [
        InboxView("mine", _("My open"), lambda u: UNSOLVED & Q(assignee_id=u.pk)),
        InboxView("unassigned", _("Unassigned"), lambda u: UNSOLVED & Q(assignee__isnull=True)),
        InboxView("open", _("All open"), lambda u: UNSOLVED),
        InboxView("pending", _("Pending"), lambda u: Q(status=Status.PENDING)),
        InboxView("solved", _("Solved"), lambda u: Q(status=Status.SOLVED)),
    ]


def team_views(user: User) -> list[InboxView]:
    teams = Team.objects.all() if user.is_admin else user.teams.all()
    return [
        InboxView(
            f"team-{team.pk}",
            team.name,
            (lambda tid: lambda u: UNSOLVED & Q(team_id=tid))(team.pk),
            team_id=team.pk,
        )
        for team in teams.order_by("name")
    ]


def views_for(user: User) -> list[InboxView]:
    return standard_views() + team_views(user)


def find_view(user: User, key: str | None) -> InboxView:
    views = views_for(user)
    return next((v for v in views if v.key == key), views[0])


def bounded_count(qs: QuerySet, cap: int = COUNT_CAP) -> int:
    """Count up to ``cap`` rows: exact for every normal queue, cheap for huge ones."""
    return qs.order_by()[: cap + 1].count()


def format_count(count: int, cap: int = COUNT_CAP) -> str:
    return f"{cap:,}+".replace(",", "\u00a0") if count > cap else str(count)


# --- filters -------------------------------------------------------------

FILTER_KEYS = ("status", "type", "priority", "team", "assignee", "tag", "channel")


@dataclass
class Filters:
    status: list[str]
    type: list[str]
    priority: list[str]
    team: list[str]
    assignee: list[str]
    tag: list[str]
    channel: list[str]

    @classmethod
    def from_query(cls, query: QueryDict) -> Filters:
        return cls(**{key: [v for v in query.getlist(key) if v] for key in FILTER_KEYS})

    @property
    def active(self) -> bool:
        return any(getattr(self, key) for key in FILTER_KEYS)

    def apply(self, qs: QuerySet[Ticket], user: User) -> QuerySet[Ticket]:
        if self.status:
            qs = qs.filter(status__in=[s for s in self.status if s in Status.values])
        if self.priority:
            qs = qs.filter(priority__in=[p for p in self.priority if p in Priority.values])
        if self.channel:
            qs = qs.filter(channel__in=[c for c in self.channel if c in Channel.values])
        if self.type:
            qs = qs.filter(type__slug__in=self.type)
        if self.team:
            ids = _ints(self.team)
            cond = Q(team_id__in=ids)
            if "none" in self.team:
                cond |= Q(team__isnull=True)
            qs = qs.filter(cond)
        if self.assignee:
            ids = _ints(self.assignee)
            if "me" in self.assignee:
                ids.append(user.pk)
            cond = Q(assignee_id__in=ids)
            if "none" in self.assignee:
                cond |= Q(assignee__isnull=True)
            qs = qs.filter(cond)
        if self.tag:
            for tag in self.tag:
                qs = qs.filter(tags__name=tag)
        return qs


def _ints(values: list[str]) -> list[int]:
    return [int(v) for v in values if v.isdigit()]


# --- sorting and keyset pagination --------------------------------------

SORTS: dict[str, tuple[str, str]] = {
    # key: (field, label)
    "-updated": ("-updated_at", _("Recently updated")),
    "updated": ("updated_at", _("Least recently updated")),
    "-created": ("-created_at", _("Newest")),
    "created": ("created_at", _("Oldest")),
}
DEFAULT_SORT = "-updated"


@dataclass(frozen=True)
class Page:
    tickets: list[Ticket]
    next_cursor: str | None


def _encode_cursor(value: datetime, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{value.isoformat()}|{pk}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, int] | None:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        raw_value, raw_pk = base64.urlsafe_b64decode(padded).decode().rsplit("|", 1)
        value = parse_datetime(raw_value)
        return (value, int(raw_pk)) if value else None
    except (ValueError, UnicodeDecodeError):
        return None


def paginate(qs: QuerySet[Ticket], sort: str, cursor: str | None, size: int) -> Page:
    order_field, _label = SORTS.get(sort, SORTS[DEFAULT_SORT])
    field = order_field.lstrip("-")
    descending = order_field.startswith("-")
    qs = qs.order_by(order_field, "-id" if descending else "id")
    position = _decode_cursor(cursor) if cursor else None
    if position:
        value, pk = position
        if descending:
            qs = qs.filter(Q(**{f"{field}__lt": value}) | Q(**{field: value, "id__lt": pk}))
        else:
            qs = qs.filter(Q(**{f"{field}__gt": value}) | Q(**{field: value, "id__gt": pk}))
    rows = list(qs[: size + 1])
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        last = rows[-1]
        next_cursor = _encode_cursor(getattr(last, field), last.pk)
    return Page(rows, next_cursor)
