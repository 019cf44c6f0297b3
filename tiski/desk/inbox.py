"""The inbox: named views, filters, sorting and keyset pagination.

Everything here starts from `Ticket.objects.visible_to(user)`. Pages are
cut with keyset pagination (WHERE (sort_key, id) < (last_key, last_id)) so
page 500 costs what page 1 costs, and counts are bounded so a view of a
million tickets never counts them all on every page load.
"""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay
from django.http import QueryDict
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from tiski.accounts.models import User
from tiski.reports.periods import zone as report_zone
from tiski.tickets.models import UNSOLVED, Channel, Priority, Status, Ticket

from . import lookups
from .drilldown import Drilldown, instant

COUNT_CAP = 10_000


@dataclass(frozen=True)
class InboxView:
    key: str
    label: str
    filter: Callable[[User], Q]
    team_id: int | None = None
    # Views within the unsolved tickets are counted together in one query.
    unsolved: bool = True
    # Unsolved views follow the SLA queue; the others show recent activity.
    default_sort: str = "queue"


def standard_views() -> list[InboxView]:
    return [
        InboxView("mine", _("My open"), lambda u: UNSOLVED & Q(assignee_id=u.pk)),
        InboxView("unassigned", _("Unassigned"), lambda u: UNSOLVED & Q(assignee__isnull=True)),
        InboxView("open", _("All open"), lambda u: UNSOLVED),
        InboxView("pending", _("Pending"), lambda u: UNSOLVED & Q(status=Status.PENDING)),
        InboxView("following", _("Following"), lambda u: UNSOLVED & _followed_by(u)),
        InboxView("escalated", _("Escalated"), lambda u: UNSOLVED & Q(escalation_level__gt=0)),
        InboxView(
            "solved",
            _("Solved"),
            lambda u: Q(status=Status.SOLVED),
            unsolved=False,
            default_sort="-updated",
        ),
    ]


def _followed_by(user: User) -> Q:
    # A subquery, not a join: the views are counted together in one
    # aggregate, and a join would multiply the other views' rows.
    from tiski.notifications.models import Follow

    return Q(pk__in=Follow.objects.filter(user_id=user.pk).values("ticket_id"))


def team_views(user: User) -> list[InboxView]:
    return [
        InboxView(
            f"team-{team.pk}",
            team.name,
            (lambda tid: lambda u: UNSOLVED & Q(team_id=tid))(team.pk),
            team_id=team.pk,
        )
        for team in lookups.teams_of(user)
    ]


def views_for(user: User) -> list[InboxView]:
    return standard_views() + team_views(user)


# Every ticket, solved and closed too: where a report's numbers drill down
# to. Not in the sidebar (a count of all tickets would mean nothing there).
ALL_VIEW = InboxView(
    "all", _("All tickets"), lambda u: Q(), unsolved=False, default_sort="-created"
)


def find_view(user: User, key: str | None) -> InboxView:
    if key == ALL_VIEW.key:
        return ALL_VIEW
    views = views_for(user)
    return next((v for v in views if v.key == key), views[0])


def view_counts(base: QuerySet, views: list[InboxView], user: User) -> dict[str, int]:
    """Every view's count: one query for all unsolved views, bounded ones for the rest.

    Unsolved tickets are a small share of a desk that has run for years, so
    counting them all with conditional aggregates in one pass (served by the
    unsolved partial index) is cheaper than a query per view.
    """
    from django.db.models import Count

    unsolved = [v for v in views if v.unsolved]
    counts: dict[str, int] = {}
    if unsolved:
        counts.update(
            base.filter(UNSOLVED).aggregate(
                **{v.key: Count("id", filter=v.filter(user)) for v in unsolved}
            )
        )
    for view in views:
        if not view.unsolved:
            counts[view.key] = bounded_count(base.filter(view.filter(user)))
    return counts


def bounded_count(qs: QuerySet, cap: int = COUNT_CAP) -> int:
    """Count up to ``cap`` rows: exact for every normal queue, cheap for huge ones."""
    return qs.order_by()[: cap + 1].count()


def format_count(count: int, cap: int = COUNT_CAP) -> str:
    return f"{cap:,}+".replace(",", "\u00a0") if count > cap else str(count)


# --- filters -------------------------------------------------------------

FILTER_KEYS = ("status", "type", "priority", "team", "assignee", "tag", "channel")
# What a report's drill-down adds (docs/reports.md): the tickets a figure
# counted, by the same filters plus its date range, read from the facts.
REPORT_KEYS = (
    "organisation",
    "requester",
    "mailbox",
    "created_from",
    "created_to",
    "solved_from",
    "solved_to",
    "reopened_from",
    "reopened_to",
    "settled_from",
    "settled_to",
    "unsolved_at",
    "created_weekday",
    "created_hour",
    "breached",
    "untouched",
    "reopened",
    "unsolved",
)


@dataclass
class Filters:
    status: list[str]
    type: list[str]
    priority: list[str]
    team: list[str]
    assignee: list[str]
    tag: list[str]
    channel: list[str]
    report: dict[str, list[str]] = dataclasses.field(default_factory=dict)

    @classmethod
    def from_query(cls, query: QueryDict) -> Filters:
        report = {key: [v for v in query.getlist(key) if v] for key in REPORT_KEYS}
        return cls(
            **{key: [v for v in query.getlist(key) if v] for key in FILTER_KEYS},
            report={key: values for key, values in report.items() if values},
        )

    @property
    def active(self) -> bool:
        return bool(self.report) or any(getattr(self, key) for key in FILTER_KEYS)

    @property
    def report_params(self) -> list[tuple[str, str]]:
        """The drill-down parameters, for hidden inputs that keep them in the form."""
        return [(key, value) for key, values in self.report.items() for value in values]

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
        if self.report:
            qs = report_filter(qs, self.report)
        return qs


def _moment(values: list[str] | None) -> datetime | None:
    return instant(values[0]) if values else None


def report_filter(qs: QuerySet[Ticket], params: dict[str, list[str]]) -> QuerySet[Ticket]:
    """Narrow to the tickets a report figure counted (docs/reports.md, Drill-down).

    Date ranges are instants with their offset, start included, end not.
    Merged tickets are left out as the reports leave them out.
    """
    from django.db.models import Exists, OuterRef
    from django.db.models.functions import Coalesce

    qs = qs.filter(report_fact__merged=False)
    for key, column in (
        ("created", "report_fact__created_at"),
        ("solved", "report_fact__solved_at"),
        ("reopened", "report_fact__first_reopened_at"),
    ):
        start, end = _moment(params.get(f"{key}_from")), _moment(params.get(f"{key}_to"))
        if start is not None:
            qs = qs.filter(**{f"{column}__gte": start})
        if end is not None:
            qs = qs.filter(**{f"{column}__lt": end})
    # The volume heatmap's cell: created on this local weekday / in this local hour.
    zone = report_zone()
    if (weekday := _in_range(params.get("created_weekday"), 1, 7)) is not None:
        qs = qs.alias(created_wd=ExtractIsoWeekDay("report_fact__created_at", tzinfo=zone)).filter(
            created_wd=weekday
        )
    if (hour := _in_range(params.get("created_hour"), 0, 23)) is not None:
        qs = qs.alias(created_hr=ExtractHour("report_fact__created_at", tzinfo=zone)).filter(
            created_hr=hour
        )
    if ids := _ints(params.get("organisation", [])):
        qs = qs.filter(report_fact__organisation_id__in=ids)
    elif "none" in params.get("organisation", []):
        qs = qs.filter(report_fact__organisation_id__isnull=True)
    if ids := _ints(params.get("requester", [])):
        qs = qs.filter(requester_id__in=ids)
    if params.get("mailbox"):
        qs = qs.filter(report_fact__mailbox__in=params["mailbox"])
    if (moment := _moment(params.get("unsolved_at"))) is not None:
        qs = qs.filter(
            Q(report_fact__solved_at__isnull=True) | Q(report_fact__solved_at__gte=moment)
        )
    if params.get("untouched"):
        qs = qs.filter(UNSOLVED, report_fact__first_reply_at__isnull=True)
    if params.get("unsolved"):
        qs = qs.filter(UNSOLVED)
    if params.get("reopened"):
        qs = qs.filter(report_fact__reopen_count__gt=0)
    kinds = [
        k
        for k in params.get("breached", [])
        if k in ("first_reply", "next_reply", "resolution", "any")
    ]
    if kinds:
        from tiski.sla.models import SlaTarget

        targets = SlaTarget.objects.filter(ticket_id=OuterRef("pk"), breached=True)
        if "any" not in kinds:
            targets = targets.filter(kind__in=kinds)
        start, end = _moment(params.get("settled_from")), _moment(params.get("settled_to"))
        if start is not None or end is not None:
            targets = targets.annotate(settled_at=Coalesce("achieved_at", "due_at"))
            if start is not None:
                targets = targets.filter(settled_at__gte=start)
            if end is not None:
                targets = targets.filter(settled_at__lt=end)
        qs = qs.filter(Exists(targets))
    return qs


def _in_range(values: list[str] | None, low: int, high: int) -> int | None:
    if not values or not values[0].isdigit():
        return None
    number = int(values[0])
    return number if low <= number <= high else None


def _ints(values: list[str]) -> list[int]:
    return [int(v) for v in values if v.isdigit()]


# --- sorting and keyset pagination --------------------------------------

# key: (label, [(field, descending), ...]); the last column is always the id
# so every row has a unique position for the cursor.
SORTS: dict[str, tuple[str, list[tuple[str, bool]]]] = {
    "queue": (
        _("Most urgent first"),
        [("queue_due_at", False), ("priority_rank", True), ("created_at", False), ("id", False)],
    ),
    "-updated": (_("Recently updated"), [("updated_at", True), ("id", True)]),
    "updated": (_("Least recently updated"), [("updated_at", False), ("id", False)]),
    "-created": (_("Newest"), [("created_at", True), ("id", True)]),
    "created": (_("Oldest"), [("created_at", False), ("id", False)]),
}
# The agent's queue: nearest SLA deadline, then priority, then age.
DEFAULT_SORT = "queue"
# Every column an order sorts by: a page's last row gives the next cursor.
SORT_FIELDS = tuple(
    sorted({field for _label, columns in SORTS.values() for field, _desc in columns} - {"id"})
)


@dataclass(frozen=True)
class Page:
    tickets: list[Ticket]
    next_cursor: str | None


def _encode_cursor(values: list) -> str:
    raw = json.dumps([v.isoformat() if isinstance(v, datetime) else v for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, columns: list[tuple[str, bool]]) -> list | None:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded).decode())
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(values, list) or len(values) != len(columns):
        return None
    decoded = []
    for (field, _desc), value in zip(columns, values, strict=True):
        if field.endswith("_at"):
            value = parse_datetime(value) if isinstance(value, str) else None
            if value is None:
                return None
        elif not isinstance(value, int):
            return None
        decoded.append(value)
    return decoded


def _after(columns: list[tuple[str, bool]], values: list) -> Q:
    """Rows strictly after the cursor in this ordering (a row-value comparison
    spelled out, since the columns may sort in different directions)."""
    condition = Q()
    for i, (field, descending) in enumerate(columns):
        step = Q(**{f"{field}__{'lt' if descending else 'gt'}": values[i]})
        for j in range(i):
            step &= Q(**{columns[j][0]: values[j]})
        condition |= step
    return condition


def ordering(sort: str) -> list[str]:
    _label, columns = SORTS.get(sort, SORTS[DEFAULT_SORT])
    return [f"-{f}" if desc else f for f, desc in columns]


def paginate(qs: QuerySet[Ticket], sort: str, cursor: str | None, size: int) -> Page:
    _label, columns = SORTS.get(sort, SORTS[DEFAULT_SORT])
    qs = qs.order_by(*ordering(sort))
    position = _decode_cursor(cursor, columns) if cursor else None
    if position:
        qs = qs.filter(_after(columns, position))
    rows = list(qs[: size + 1])
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        last = rows[-1]
        next_cursor = _encode_cursor([getattr(last, field) for field, _d in columns])
    return Page(rows, next_cursor)


# --- the whole view, for "select all N matching tickets" ------------------

# The most tickets one bulk change takes from a whole view (stated in the bar).
SELECT_ALL_CAP = 5_000


@dataclass(frozen=True)
class Listing:
    """One ticket list as the agent sees it: a view, its filters and its order."""

    view: InboxView
    filters: Filters
    sort: str
    # The live overview's drill-down (created/solved today, SLA state now).
    drilldown: Drilldown

    @classmethod
    def from_query(cls, user: User, query: QueryDict) -> Listing:
        view = find_view(user, query.get("view"))
        sort = query.get("sort") or view.default_sort
        return cls(
            view,
            Filters.from_query(query),
            sort if sort in SORTS else view.default_sort,
            Drilldown.from_query(query),
        )

    def tickets(self, base: QuerySet[Ticket], user: User) -> QuerySet[Ticket]:
        """The view's tickets with its filters; ``base`` is visible_to(user) already."""
        return self.drilldown.apply(self.filters.apply(base.filter(self.view.filter(user)), user))

    def matching_ids(self, base: QuerySet[Ticket], user: User, cap: int | None = None):
        """The ids of the first ``cap`` matching tickets (SELECT_ALL_CAP), in the list's order."""
        qs = self.tickets(base, user).order_by(*ordering(self.sort))
        return list(qs.values_list("pk", flat=True)[: cap or SELECT_ALL_CAP])
