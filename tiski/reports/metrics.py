"""Every report figure, computed once for pages, exports, the command and mail.

A report is a function from a `Scope` (who asks, which period, which
filters, which breakdown) to a `Result`: summary figures with their value
in the previous period, and tables whose cells carry the drill-down
parameters of the tickets they count. The pages render a Result, the
exports write it, `tiski report` prints `Result.as_data()`. The
definitions are in docs/reports.md.
"""

from __future__ import annotations

import functools
import operator
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import Avg, Case, Count, IntegerField, Q, QuerySet, Sum, When
from django.db.models import Value as SqlValue
from django.db.models.functions import (
    Coalesce,
    ExtractHour,
    ExtractIsoWeekDay,
    TruncDay,
    TruncHour,
    TruncMonth,
    TruncWeek,
    TruncYear,
)
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tiski.tickets.models import (
    UNSOLVED_STATUSES,
    Channel,
    Priority,
    TicketType,
    team_visibility_condition,
    visibility_condition,
)

from . import daily, field_dimensions, monthly, periods, rollups, stats
from .access import can_see_team_reports
from .aggregates import P90, Median, lists_stats
from .contact_totals import BREACHED
from .histogram import Hist
from .models import (
    ContactTotals,
    DailyVolume,
    HourlyVolume,
    MonthlyCreated,
    MonthlyFigure,
    MonthlyOrganisation,
    MonthlyReplies,
    MonthlyWeekHour,
    ReplyFact,
    SurveyFact,
    TicketFact,
)

FILTER_PARAMS = ("team", "agent", "channel", "type", "priority", "organisation", "tag", "mailbox")
TRUNC = {
    "hour": TruncHour,
    "day": TruncDay,
    "week": TruncWeek,
    "month": TruncMonth,
    "year": TruncYear,
}
DIMENSIONS = {
    "team": (_("Team"), "team_id"),
    "agent": (_("Agent"), "assignee_id"),
    "type": (_("Type"), "type_id"),
    "channel": (_("Channel"), "channel"),
    "priority": (_("Priority"), "priority"),
    "organisation": (_("Organisation"), "organisation_id"),
}
# The inbox filter each dimension drills into, and how its value is written.
DRILL_PARAM = {
    "team_id": "team",
    "assignee_id": "assignee",
    "type_id": "type",
    "channel": "channel",
    "priority": "priority",
    "organisation_id": "organisation",
}


# --- scope ------------------------------------------------------------------


@dataclass
class ReportFilters:
    team: list[str] = field(default_factory=list)
    agent: list[str] = field(default_factory=list)
    channel: list[str] = field(default_factory=list)
    type: list[str] = field(default_factory=list)
    priority: list[str] = field(default_factory=list)
    organisation: list[str] = field(default_factory=list)
    tag: list[str] = field(default_factory=list)
    mailbox: list[str] = field(default_factory=list)

    @classmethod
    def from_params(cls, params: Any) -> ReportFilters:
        def values(key: str) -> list[str]:
            if hasattr(params, "getlist"):
                raw = params.getlist(key)
            else:
                raw = params.get(key) or []
                raw = [raw] if isinstance(raw, str) else list(raw)
            return [str(v).strip() for v in raw if str(v).strip()]

        return cls(**{key: values(key) for key in FILTER_PARAMS})

    def as_params(self) -> dict[str, list[str]]:
        return {key: list(getattr(self, key)) for key in FILTER_PARAMS if getattr(self, key)}

    def inbox_params(self) -> list[tuple[str, str]]:
        """The same narrowing as the desk's ticket list understands it."""
        pairs = []
        for key in FILTER_PARAMS:
            for value in getattr(self, key):
                pairs.append(("assignee" if key == "agent" else key, value))
        return pairs

    @property
    def rollup_ok(self) -> bool:
        """Whether the hourly rollup can answer (it has no organisation, tag or mailbox)."""
        return not (self.organisation or self.tag or self.mailbox)

    def apply(self, qs: QuerySet) -> QuerySet:
        """Narrow facts, or rollup rows (which carry the same dimension columns)."""

        def ids(values: list[str]) -> list[int]:
            return [int(v) for v in values if v.isdigit()]

        if self.team:
            cond = Q(team_id__in=ids(self.team))
            if "none" in self.team:
                cond |= Q(team_id__isnull=True)
            qs = qs.filter(cond)
        if self.agent:
            cond = Q(assignee_id__in=ids(self.agent))
            if "none" in self.agent:
                cond |= Q(assignee_id__isnull=True)
            qs = qs.filter(cond)
        if self.channel:
            qs = qs.filter(channel__in=self.channel)
        if self.type:
            # The type's id, not a join per row: the rollup has no ticket to join.
            qs = qs.filter(type_id__in=TicketType.objects.filter(slug__in=self.type).values("pk"))
        if self.priority:
            qs = qs.filter(priority__in=self.priority)
        if self.organisation:
            cond = Q(organisation_id__in=ids(self.organisation))
            if "none" in self.organisation:
                cond |= Q(organisation_id__isnull=True)
            qs = qs.filter(cond)
        for tag in self.tag:
            qs = qs.filter(ticket__tags__name=tag)
        if self.mailbox:
            qs = qs.filter(mailbox__in=self.mailbox)
        return qs


@dataclass
class Scope:
    user: Any
    period: periods.Period
    filters: ReportFilters = field(default_factory=ReportFilters)
    bucket: str = ""
    by: str = ""
    compare: bool = True

    def __post_init__(self) -> None:
        if not self.bucket or self.bucket not in periods.BUCKETS:
            self.bucket = periods.default_bucket(self.period)
        # Agents see their own figures only: the narrowing is a filter, so
        # every drill-down carries it to the ticket list as well.
        if not can_see_team_reports(self.user):
            self.filters.agent = [str(self.user.pk)]

    @property
    def previous(self) -> periods.Period:
        return self.period.previous()

    def _visible(self, qs: QuerySet) -> QuerySet:
        # visible_to's own rule, on the facts' (or rollup's) team and assignee
        # columns, which the facts handler keeps equal to the ticket's: no
        # semi-join over the tickets table on every query.
        if not self.user.is_authenticated or not self.user.is_active:
            return qs.none()
        condition = visibility_condition(self.user)
        return qs if condition is None else qs.filter(condition)

    def facts(self) -> QuerySet[TicketFact]:
        """The counted tickets' facts: visible to the user, not merged, filtered."""
        return self.filters.apply(self._visible(TicketFact.objects.filter(merged=False)))

    def rollup(self) -> QuerySet[HourlyVolume] | None:
        """The hourly rollup rows the user may count, or None when filters need the facts."""
        if not self.filters.rollup_ok:
            return None
        return self.filters.apply(self._visible(HourlyVolume.objects.all()))

    def daily(self) -> QuerySet[DailyVolume] | None:
        """The daily rollup rows the user may count, or None when the hourly
        rollup cannot answer either or a filter needs a column the daily one
        lacks (it has team and agent only)."""
        f = self.filters
        if self.rollup() is None or f.channel or f.type or f.priority:
            return None
        return f.apply(self._visible(DailyVolume.objects.all()))

    def created_months(
        self,
        model: type[MonthlyCreated] | type[MonthlyWeekHour] | type[MonthlyOrganisation],
        period: periods.Period,
        fine: type[HourlyVolume] | type[TicketFact] = HourlyVolume,
    ) -> tuple[QuerySet, QuerySet | None] | None:
        """A monthly rollup of created tickets for ``period``: its rows the
        user may count (the visibility rule's arms "no team" and "my teams":
        the rows have no agent), and the rows of ``fine`` (the hourly rollup
        or the facts) of the third arm, "assigned to me outside my teams"
        (None for those who see everything). None when the period is too
        short or a filter needs a column the rollup lacks (agent, priority;
        type or channel where it has none)."""
        f = self.filters
        has = {field.name for field in model._meta.fields}
        if self.rollup() is None or f.agent or f.priority:
            return None
        if (f.type and "type" not in has) or (f.channel and "channel" not in has):
            return None
        if not monthly.usable(period):
            return None
        if not self.user.is_authenticated or not self.user.is_active:
            return model.objects.none(), None
        condition = team_visibility_condition(self.user)
        rows = model.objects.all() if condition is None else model.objects.filter(condition)
        if condition is None:
            return f.apply(rows), None
        fine_rows = fine.objects.filter(merged=False) if fine is TicketFact else fine.objects.all()
        mine = fine_rows.filter(assignee_id=self.user.pk, team__isnull=False).exclude(
            team_id__in=self.user.teams.values("pk")
        )
        return f.apply(rows), f.apply(self._visible(mine))

    def monthly(
        self, period: periods.Period, column: str | None = None
    ) -> list[QuerySet[MonthlyFigure]] | None:
        """The monthly rollup rows the user may count for ``period``, grouped
        by ``column`` (None, ``team_id`` or ``assignee_id``), as disjoint sets
        of rows; None when the period is too short (read exactly from the
        facts) or a filter needs a column the rollup lacks (it has team and
        agent only)."""
        f = self.filters
        if not f.rollup_ok or f.channel or f.type or f.priority or not monthly.usable(period):
            return None
        rows = MonthlyFigure.objects.all()
        if column == "assignee_id" or f.agent:
            return [f.apply(self._visible(rows.filter(whole_team=False)))]
        # The teams' cells of all agents: their assignee is empty, so the
        # visibility rule keeps exactly its arms "no team" and "my teams" ...
        parts = [f.apply(self._visible(rows.filter(whole_team=True)))]
        if self.user.is_authenticated and not self.user.is_admin:
            # ... and its third arm, "assigned to me, not in a restricted
            # team", adds my own cells of the teams I am not in.
            mine = rows.filter(
                whole_team=False, assignee_id=self.user.pk, team__isnull=False
            ).exclude(team_id__in=self.user.teams.values("pk"))
            parts.append(f.apply(self._visible(mine)))
        return parts

    def describe(self) -> dict[str, Any]:
        return {
            "period": self.period.as_dict(),
            "previous": self.previous.as_dict() if self.compare else None,
            "bucket": self.bucket,
            "by": self.by,
            "filters": self.filters.as_params(),
        }


# --- results ----------------------------------------------------------------


@dataclass
class Value:
    value: Any
    kind: str = "count"  # count | duration | percent | score | text | datetime
    drill: dict[str, str] | None = None
    previous: Any = None
    link: str = ""  # a direct link (one ticket) instead of a drill-down

    @property
    def delta(self) -> Any:
        if isinstance(self.value, int | float) and isinstance(self.previous, int | float):
            return self.value - self.previous
        return None


@dataclass
class Figure:
    key: str
    label: str
    value: Value


@dataclass
class Table:
    key: str
    title: str
    columns: list[tuple[str, str]]
    rows: list[list[Value]]
    chart: str = ""  # "bars" | "heatmap" | ""
    # For bar charts: which columns are the series (keys), the first column labels.
    series: list[str] = field(default_factory=list)


@dataclass
class Result:
    name: str
    title: str
    scope: Scope
    summary: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)

    def table(self, key: str) -> Table | None:
        return next((t for t in self.tables if t.key == key), None)

    def as_data(self) -> dict[str, Any]:
        """Plain data: what `tiski report --format json` prints."""

        def plain(v: Value) -> Any:
            value = v.value
            if isinstance(value, datetime):
                return value.isoformat()
            if isinstance(value, float):
                return round(value, 2)
            return value

        return {
            "report": self.name,
            **self.scope.describe(),
            "summary": {
                f.key: {
                    "value": plain(f.value),
                    "previous": plain(Value(f.value.previous)) if self.scope.compare else None,
                    "kind": f.value.kind,
                }
                for f in self.summary
            },
            "tables": {
                t.key: {
                    "columns": [key for key, _label in t.columns],
                    "rows": [[plain(cell) for cell in row] for row in t.rows],
                }
                for t in self.tables
            },
        }


# --- helpers ----------------------------------------------------------------


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def _range(prefix: str, start: datetime, end: datetime) -> dict[str, str]:
    return {f"{prefix}_from": _iso(start), f"{prefix}_to": _iso(end)}


def _in(prefix: str, start: datetime, end: datetime) -> Q:
    return Q(**{f"{prefix}__gte": start, f"{prefix}__lt": end})


def _bucket_key(moment: datetime, bucket: str) -> datetime:
    return periods.bucket_start(moment, bucket).astimezone(UTC)


def bucket_label(start: datetime, bucket: str) -> str:
    from django.utils import formats

    local = start.astimezone(periods.zone())
    if bucket == "hour":
        return formats.date_format(local, "SHORT_DATETIME_FORMAT")
    if bucket == "month":
        return formats.date_format(local, "YEAR_MONTH_FORMAT")
    if bucket == "year":
        return str(local.year)
    return formats.date_format(local, "SHORT_DATE_FORMAT")


def _names(column: str, keys: Iterable[Any]) -> dict[Any, str]:
    """Readable names of a dimension's values (teams, agents, types, ...)."""
    keys = [k for k in keys if k is not None]
    if column == "channel":
        return {value: str(label) for value, label in Channel.choices}
    if column == "priority":
        from tiski.tickets.labels import priority_choices

        return dict(priority_choices())
    if column == "team_id":
        from tiski.accounts.models import Team

        return dict(Team.objects.filter(pk__in=keys).values_list("pk", "name"))
    if column == "assignee_id":
        from tiski.accounts.models import User

        return {u.pk: u.name or u.email for u in User.objects.filter(pk__in=keys)}
    if column == "type_id":
        from tiski.tickets.models import TicketType

        return {t.pk: t.name for t in TicketType.objects.filter(pk__in=keys)}
    if column == "organisation_id":
        from tiski.customers.models import Organisation

        return dict(Organisation.objects.filter(pk__in=keys).values_list("pk", "name"))
    if column == "requester_id":
        from tiski.customers.models import Contact

        return {c.pk: str(c) for c in Contact.objects.filter(pk__in=keys)}
    return {}


def _group_label(names: dict, column: str, key: object) -> Value:
    """The first cell of a grouped row: the group's name, or what having none means."""
    name = names.get(key) if key is not None else None
    return Value(name if name is not None else _none_label(column), "text")


def _none_label(column: str) -> str:
    return str(
        {
            "team_id": _("No team"),
            "assignee_id": _("Unassigned"),
            "type_id": _("No type"),
            "organisation_id": _("No organisation"),
        }.get(column, "—")
    )


def _drill_value(column: str, key: Any, slugs: dict[int, str] | None = None) -> dict[str, str]:
    """The inbox filter for one value of a dimension. A table of types
    passes ``slugs`` (`_type_slugs`) so its rows do not each look theirs up."""
    param = DRILL_PARAM.get(column)
    if not param:
        return {}
    if key is None:
        return {param: "none"}
    if column == "type_id":
        if slugs is None:
            slugs = _type_slugs([key])
        return {param: slugs.get(key) or ""}
    return {param: str(key)}


def _type_slugs(keys: Iterable[Any]) -> dict[int, str]:
    from tiski.tickets.models import TicketType

    ids = [k for k in keys if k is not None]
    return dict(TicketType.objects.filter(pk__in=ids).values_list("pk", "slug")) if ids else {}


def _dimension(scope: Scope, default: str = "team") -> tuple[str, str, str]:
    key = scope.by if scope.by in DIMENSIONS else default
    label, column = DIMENSIONS[key]
    return key, str(label), column


# --- volume -----------------------------------------------------------------

TOP_ORGANISATIONS = 25


def _most_first(item: tuple[Any, int]) -> tuple[int, bool, Any]:
    """Most first, then by value, none last: one order on every engine."""
    key, n = item
    return (-n, key is None, key if key is not None else 0)


@dataclass
class _Volume:
    """Created / solved / reopened counts, from the hourly rollup when the
    filters allow it (docs/reports.md, Rollups), else from the facts."""

    qs: QuerySet
    rolled: bool
    time: str = "hour"  # the rollup's time column: "hour", or "day" (the daily rollup)

    @classmethod
    def of(cls, scope: Scope) -> _Volume:
        rollup = scope.rollup()
        if rollup is not None:
            return cls(rollup, True)
        return cls(scope.facts(), False)

    @classmethod
    def by_day(cls, scope: Scope, moments: Iterable[datetime]) -> _Volume | None:
        """The daily rollup, when it answers exactly: every moment read is a
        local midnight (period bounds are) and no filter needs another column."""
        days = scope.daily()
        if days is None:
            return None
        if any(periods.local_midnight(daily.day_of(m)) != m for m in moments):
            return None
        return cls(days, True, "day")

    def column(self, measure: str) -> str:
        return self.time if self.rolled else rollups.MEASURES[measure]

    def bound(self, moment: datetime) -> Any:
        """A moment as the time column holds it (the daily rollup: its local day)."""
        return daily.day_of(moment) if self.time == "day" else moment

    def count(self, measure: str, start: datetime | None, end: datetime | None) -> Any:
        column = self.column(measure)
        cond = (
            Q(**{f"{column}__lt": self.bound(end)})
            if end is not None
            else Q(**{f"{column}__isnull": False})
        )
        if start is not None:
            cond &= Q(**{f"{column}__gte": self.bound(start)})
        if self.rolled:
            return Coalesce(Sum(measure, filter=cond), 0)
        return Count("pk", filter=cond)

    def _in_period(self, measure: str, start: datetime, end: datetime) -> QuerySet:
        column = self.column(measure)
        qs = self.qs.filter(_in(column, start, end))
        return qs.filter(**{f"{measure}__gt": 0}) if self.rolled else qs

    def _n(self, measure: str) -> Any:
        return Sum(measure) if self.rolled else Count("pk")

    def by_bucket(self, measure: str, scope: Scope, period: periods.Period) -> Counter:
        trunc = TRUNC[scope.bucket](self.column(measure), tzinfo=periods.zone())
        counts: Counter = Counter()
        for moment, n in (
            self._in_period(measure, period.start, period.end)
            .annotate(b=trunc)
            .values("b")
            .annotate(n=self._n(measure))
            .order_by()
            .values_list("b", "n")
        ):
            if moment is not None:
                counts[_bucket_key(moment, scope.bucket)] += n
        return counts

    def over_time(self, scope: Scope, period: periods.Period) -> tuple[Counter, Counter, Counter]:
        """Created, solved and reopened per time bucket of the period."""
        if not self.rolled:
            return (
                self.by_bucket("created", scope, period),
                self.by_bucket("solved", scope, period),
                self.by_bucket("reopened", scope, period),
            )
        # The rollup has one time column for all three: one query.
        counts: tuple[Counter, Counter, Counter] = (Counter(), Counter(), Counter())
        if self.time == "day":
            # A few cells per day: summed per day by the database, each day
            # put in its bucket here (a bucket of days is a whole number of them).
            for day, *ns in (
                self.qs.filter(day__gte=self.bound(period.start), day__lt=self.bound(period.end))
                .values("day")
                .annotate(c=Sum("created"), s=Sum("solved"), r=Sum("reopened"))
                .order_by()
                .values_list("day", "c", "s", "r")
            ):
                key = _bucket_key(periods.local_midnight(day), scope.bucket)
                for counter, n in zip(counts, ns, strict=True):
                    counter[key] += n
            return counts
        trunc = TRUNC[scope.bucket]("hour", tzinfo=periods.zone())
        for moment, *ns in (
            self.qs.filter(_in("hour", period.start, period.end))
            .annotate(b=trunc)
            .values("b")
            .annotate(c=Sum("created"), s=Sum("solved"), r=Sum("reopened"))
            .order_by()
            .values_list("b", "c", "s", "r")
        ):
            key = _bucket_key(moment, scope.bucket)
            for counter, n in zip(counts, ns, strict=True):
                counter[key] += n
        return counts

    def by_columns(
        self, columns: list[str], period: periods.Period
    ) -> dict[str, list[tuple[Any, int]]]:
        """by_column for several columns; from the rollup in one query."""
        if not self.rolled:
            return {column: self.by_column(column, period) for column in columns}
        return _per_column(
            columns,
            self._in_period("created", period.start, period.end)
            .values(*columns)
            .annotate(n=Sum("created"))
            .order_by()
            .values_list(*columns, "n"),
        )

    def by_column(self, column: str, period: periods.Period) -> list[tuple[Any, int]]:
        """Created in the period per value of ``column``, most first."""
        return sorted(
            self._in_period("created", period.start, period.end)
            .values(column)
            .annotate(n=self._n("created"))
            .order_by()
            .values_list(column, "n"),
            key=_most_first,
        )

    def weekday_hours(self, period: periods.Period) -> list[tuple[str, int, int, int]]:
        """Created in the period per channel, local ISO weekday and local hour."""
        return self.weekday_hours_in(self._in_period("created", period.start, period.end))

    def weekday_hours_in(self, rows: QuerySet) -> list[tuple[str, int, int, int]]:
        """``rows`` (of this source) summed per channel, local ISO weekday and hour."""
        zone = periods.zone()
        column = self.column("created")
        return list(
            rows.annotate(
                wd=ExtractIsoWeekDay(column, tzinfo=zone), hr=ExtractHour(column, tzinfo=zone)
            )
            .values("channel", "wd", "hr")
            .annotate(n=self._n("created"))
            .order_by()
            .values_list("channel", "wd", "hr", "n")
        )


def _created_by_month(
    scope: Scope,
    model: type[MonthlyCreated] | type[MonthlyWeekHour] | type[MonthlyOrganisation],
    columns: tuple[str, ...],
    from_fine: Callable[[_Volume, QuerySet], Iterable[tuple[Any, ...]]],
    fine: type[HourlyVolume] | type[TicketFact] = HourlyVolume,
    top: int | None = None,
) -> list[tuple[Any, ...]] | None:
    """Created in the scope's period per value of ``columns``, as (*values,
    n) rows: the whole months from a monthly rollup of created tickets, the
    days before and after them and the user's own tickets outside their
    teams from ``fine``, the hourly rollup or the facts (``from_fine`` sums
    its rows into the same shape). None when the monthly rollup cannot
    answer (`Scope.created_months`).

    With ``top`` (one column; ``from_fine`` then gives a queryset) only the
    ``top`` largest, most first, summed and cut by the database: the
    busiest organisations of a year are 25 of some 13,000, and bringing
    every one's three partial counts into Python was most of the page's own
    time.

    Over three years the hourly rollup and the facts are nearly a row per
    ticket, a month of a monthly rollup a few thousand rows at most
    (docs/reports.md).
    """
    period = scope.period
    found = scope.created_months(model, period, fine)
    if found is None:
        return None
    rows, mine = found
    parts = monthly.split(period)
    reads: list[Iterable[tuple[Any, ...]]] = [
        rows.filter(month__in=parts.months)
        .values(*columns)
        .annotate(n=Sum("created"))
        .order_by()
        .values_list(*columns, "n")
    ]
    rolled = fine is HourlyVolume
    source = _Volume(scope.rollup(), True) if rolled else _Volume(scope.facts(), False)
    time = source.column("created")

    def created_in(rows: QuerySet, when: Q) -> QuerySet:
        return rows.filter(when, created__gt=0) if source.rolled else rows.filter(when)

    if parts.edges:
        edges = functools.reduce(operator.or_, (_in(time, s, e) for s, e in parts.edges))
        reads.append(from_fine(source, created_in(source.qs, edges)))
    if mine is not None:
        whole = _in(
            time,
            periods.local_midnight(parts.months[0]),
            periods.local_midnight(periods._add_months(parts.months[-1], 1)),
        )
        reads.append(from_fine(source, created_in(mine, whole)))
    if top is not None:
        (column,) = columns
        return _largest_sums(reads, column, top)
    counts: Counter = Counter()
    for read in reads:
        for *keys, n in read:
            counts[tuple(keys)] += n
    return [(*keys, n) for keys, n in counts.items() if n]


def _largest_sums(reads: list[Any], column: str, limit: int) -> list[tuple[Any, int]]:
    """(``column``, n) querysets added up per value of the column, the
    ``limit`` largest in `_most_first`'s order (most first, then by value,
    none last), in one query."""
    quoted = connection.ops.quote_name(column)
    parts, params = [], []
    for read in reads:
        try:
            sql, part_params = read.query.sql_with_params()
        except EmptyResultSet:  # nothing the user may count
            continue
        parts.append(f"SELECT p{len(parts)}.{quoted} AS k, n FROM ({sql}) p{len(parts)}")
        params.extend(part_params)
    if not parts:
        return []
    sql = (
        "SELECT k, SUM(n) AS total FROM ("
        + " UNION ALL ".join(parts)
        + ") u GROUP BY k HAVING SUM(n) > 0"
        " ORDER BY total DESC, CASE WHEN k IS NULL THEN 1 ELSE 0 END, k LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, (*params, limit))
        return [(key, int(n)) for key, n in cursor.fetchall()]


def _per_column(
    columns: list[str], rows: Iterable[tuple[Any, ...]]
) -> dict[str, list[tuple[Any, int]]]:
    """(*values of ``columns``, n) rows as each column's counts, most first."""
    per: dict[str, Counter] = {column: Counter() for column in columns}
    for *keys, n in rows:
        for column, key in zip(columns, keys, strict=True):
            per[column][key] += n
    return {column: sorted(counter.items(), key=_most_first) for column, counter in per.items()}


def _busiest_organisations(scope: Scope, limit: int) -> list[tuple[Any, int]]:
    """The organisations with the most tickets created in the period, most
    first (equal counts: lower id first, then no organisation)."""
    by_month = _created_by_month(
        scope,
        MonthlyOrganisation,
        ("organisation_id",),
        lambda source, rows: (
            rows.values("organisation_id")
            .annotate(n=source._n("created"))
            .order_by()
            .values_list("organisation_id", "n")
        ),
        fine=TicketFact,
        top=limit,
    )
    if by_month is not None:
        return by_month
    return _largest_sums(
        [
            scope.facts()
            .filter(_in("created_at", scope.period.start, scope.period.end))
            .values("organisation_id")
            .annotate(n=Count("pk"))
            .order_by()
            .values_list("organisation_id", "n")
        ],
        "organisation_id",
        limit,
    )


def _volume_counts(scope: Scope, period: periods.Period) -> dict[str, int]:
    return _volume_totals(scope, [period])[0]


def _volume_totals(
    scope: Scope, wanted: list[periods.Period], backlog_at: datetime | None = None
) -> list[dict[str, int]]:
    """Created, solved, reopened and the backlog at the end of each period,
    and (last) the backlog at ``backlog_at``.

    The backlog at t is "created before t" minus "solved before t", which
    reads the whole history. It equals the tickets unsolved now, minus those
    created since t, plus those solved since t: a handful of unsolved facts
    (an index on solved_at) and the rows from the earliest period on, so a
    month's page reads two months, not years.
    """
    moments = [p.end for p in wanted] + ([backlog_at] if backlog_at is not None else [])
    earliest = min([p.start for p in wanted] + moments)
    source = _Volume.by_day(scope, [p.start for p in wanted] + moments) or _Volume.of(scope)
    # Aliases differ from the rollup's columns (an aggregate may not shadow one).
    sums: dict[str, Any] = {}
    for i, period in enumerate(wanted):
        for measure in rollups.MEASURES:
            sums[f"{measure}_{i}"] = source.count(measure, period.start, period.end)
    for j, moment in enumerate(moments):
        sums[f"cs_{j}"] = source.count("created", moment, None)
        sums[f"ss_{j}"] = source.count("solved", moment, None)
    if source.rolled:
        recent = source.qs.filter(**{f"{source.time}__gte": source.bound(earliest)})
    else:
        recent = source.qs.filter(
            functools.reduce(
                operator.or_, (Q(**{f"{c}__gte": earliest}) for c in rollups.MEASURES.values())
            )
        )
    got = recent.aggregate(**sums)
    unsolved = scope.facts().filter(solved_at__isnull=True).count()
    backlogs = [unsolved - got[f"cs_{j}"] + got[f"ss_{j}"] for j in range(len(moments))]
    out = [
        {
            "created": got[f"created_{i}"],
            "solved": got[f"solved_{i}"],
            "reopened": got[f"reopened_{i}"],
            "backlog": backlogs[i],
        }
        for i in range(len(wanted))
    ]
    if backlog_at is not None:
        out.append({"backlog": backlogs[-1]})
    return out


def volume(scope: Scope) -> Result:
    result = Result("volume", str(_("Volume")), scope)
    period = scope.period
    totals = _volume_totals(
        scope, [period, scope.previous] if scope.compare else [period], backlog_at=period.start
    )
    now, before, backlog = totals[0], totals[1] if scope.compare else {}, totals[-1]["backlog"]
    labels = {
        "created": _("Created"),
        "solved": _("Solved"),
        "reopened": _("Reopened"),
        "backlog": _("Backlog at the end"),
    }
    drills = {
        "created": _range("created", period.start, period.end),
        "solved": _range("solved", period.start, period.end),
        "reopened": _range("reopened", period.start, period.end),
        "backlog": {"created_to": _iso(period.end), "unsolved_at": _iso(period.end)},
    }
    for key, label in labels.items():
        result.summary.append(
            Figure(key, str(label), Value(now[key], drill=drills[key], previous=before.get(key)))
        )

    source = _Volume.of(scope)
    bucket_rows = periods.buckets(period, scope.bucket)
    # Buckets of a day or longer from the daily rollup: a few cells a day.
    days = _Volume.by_day(scope, [period.start, period.end]) if scope.bucket != "hour" else None
    created, solved, reopened = (days or source).over_time(scope, period)
    rows = []
    for start, end in bucket_rows:
        key = _bucket_key(start, scope.bucket)
        backlog += created[key] - solved[key]
        rows.append(
            [
                Value(bucket_label(start, scope.bucket), "text"),
                Value(created[key], drill=_range("created", start, end)),
                Value(solved[key], drill=_range("solved", start, end)),
                Value(reopened[key], drill=_range("reopened", start, end)),
                Value(backlog, drill={"created_to": _iso(end), "unsolved_at": _iso(end)}),
            ]
        )
    result.tables.append(
        Table(
            "over_time",
            str(_("Over time")),
            [
                ("bucket", str(periods.BUCKETS[scope.bucket])),
                ("created", str(_("Created"))),
                ("solved", str(_("Solved"))),
                ("reopened", str(_("Reopened"))),
                ("backlog", str(_("Backlog"))),
            ],
            rows,
            chart="bars",
            series=["created", "solved"],
        )
    )
    split_columns = [DIMENSIONS[k][1] for k in ("channel", "type", "team")]
    by_month = _created_by_month(
        scope,
        MonthlyCreated,
        tuple(split_columns),
        lambda hours, rows: (
            rows.values(*split_columns)
            .annotate(n=Sum("created"))
            .order_by()
            .values_list(*split_columns, "n")
        ),
    )
    grouped = (
        source.by_columns(split_columns, period)
        if by_month is None
        else _per_column(split_columns, by_month)
    )
    for key in ("channel", "type", "team", "organisation"):
        label, column = DIMENSIONS[key]
        # The rollup has no organisation: that one table reads the facts.
        if key == "organisation":
            # The rollup has no organisation: this table reads the facts, and
            # lists the busiest ones (the Customers report has them all).
            counts = _busiest_organisations(scope, TOP_ORGANISATIONS)
        else:
            counts = grouped[column]
        names = _names(column, [k for k, _n in counts])
        slugs = _type_slugs(k for k, _n in counts) if column == "type_id" else None
        rows = [
            [
                _group_label(names, column, k),
                Value(
                    n,
                    drill={
                        **_range("created", period.start, period.end),
                        **_drill_value(column, k, slugs),
                    },
                ),
            ]
            for k, n in counts
        ]
        result.tables.append(
            Table(
                f"by_{key}",
                str(_("Created by %(dimension)s") % {"dimension": str(label).lower()}),
                [(key, str(label)), ("created", str(_("Created")))],
                rows,
                chart="bars",
                series=["created"],
            )
        )
    result.tables.extend(_heatmaps(source, scope))
    return result


WEEKDAY_LABELS = [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]


def _heatmaps(source: _Volume, scope: Scope) -> list[Table]:
    """Created tickets by local weekday x hour: all channels, then each channel.

    Each cell drills down to the tickets created in the period on that
    weekday and hour (Europe/Helsinki), of that channel.
    """
    period = scope.period
    grid: dict[str, dict[tuple[int, int], int]] = defaultdict(lambda: defaultdict(int))
    by_month = _created_by_month(
        scope,
        MonthlyWeekHour,
        ("channel", "weekday", "hour"),
        lambda hours, rows: hours.weekday_hours_in(rows),
    )
    for channel, weekday, hour, n in source.weekday_hours(period) if by_month is None else by_month:
        grid[""][(weekday, hour)] += n
        grid[channel][(weekday, hour)] += n
    channel_names = dict(Channel.choices)
    # The period's bounds are the same in every cell's drill-down: worked out once.
    created = _range("created", period.start, period.end)
    tables = []
    for channel in [""] + sorted(k for k in grid if k):
        cells = grid[channel]
        of_channel = {"channel": channel} if channel else {}
        title = (
            _("Created by weekday and hour, all channels")
            if not channel
            else _("Created by weekday and hour: %(channel)s")
            % {"channel": channel_names.get(channel, channel)}
        )
        rows = []
        for weekday in range(1, 8):
            row = [Value(str(WEEKDAY_LABELS[weekday - 1]), "text")]
            row += [
                Value(
                    n,
                    # An empty cell links nowhere (a page holds thousands of cells).
                    drill={
                        **created,
                        "created_weekday": str(weekday),
                        "created_hour": str(hour),
                        **of_channel,
                    }
                    if n
                    else None,
                )
                for hour, n in ((h, cells.get((weekday, h), 0)) for h in range(24))
            ]
            rows.append(row)
        tables.append(
            Table(
                f"heatmap_{channel or 'all'}",
                str(title),
                [("weekday", str(_("Weekday")))] + [(f"h{h:02d}", f"{h:02d}") for h in range(24)],
                rows,
                chart="heatmap",
            )
        )
    return tables


# --- response and resolution ------------------------------------------------

TIME_METRICS = [
    # key, label, facts column (calendar), business column, which tickets
    (
        "first_reply",
        _("First reply time"),
        "first_reply_seconds",
        "first_reply_business",
        "created",
    ),
    ("next_reply", _("Next reply time"), "next_reply_seconds", "next_reply_business", "created"),
    ("resolution", _("Resolution time"), "resolution_seconds", "resolution_business", "solved"),
    ("wait", _("Requester wait time"), "wait_seconds", "wait_business", "solved"),
]


def _stats(prefix: str, column: str, only: Q) -> dict[str, Any]:
    """Median, mean and nearest-rank p90 of a column over the rows ``only``
    selects, as database aggregates."""
    return {
        f"{prefix}_median": Median(column, filter=only),
        f"{prefix}_mean": Avg(column, filter=only),
        f"{prefix}_p90": P90(column, filter=only),
    }


# The response summary's time figures (monthly.FIGURES names).
TIME_FIGURES = [
    "first_reply",
    "first_reply_business",
    "next_reply",
    "next_reply_business",
    "resolution",
    "resolution_business",
    "wait",
    "wait_business",
]


# What the summary reads from the monthly rollup.
SUMMARY_FIGURES = [*TIME_FIGURES, "solved", "touches", "one_touch", "reopened"]


def _time_rows(
    scope: Scope,
    wanted: list[periods.Period],
    known: dict[periods.Period, dict[str, Hist]] | None = None,
) -> list[dict[str, Any]]:
    """The response figures of each period: long periods from the monthly
    rollup and their edges (`_rolled_time_row`), others from the facts.
    ``known``: a period's histograms (`SUMMARY_FIGURES`) already read."""
    known = known or {}
    rolled = [scope.monthly(p) for p in wanted]
    short = [p for p, r in zip(wanted, rolled, strict=True) if r is None]
    exact = iter(_exact_time_rows(scope, short))
    return [
        next(exact)
        if rollup is None
        else _rolled_time_row(
            known[period]
            if period in known
            else monthly.read(rollup, scope.facts(), period, SUMMARY_FIGURES)[None]
        )
        for period, rollup in zip(wanted, rolled, strict=True)
    ]


def _rolled_time_row(hists: dict[str, Hist]) -> dict[str, Any]:
    """`_exact_time_rows`'s figures of one period from the monthly rollup's
    histograms: counts and means exact, medians and 90th percentiles bucketed."""
    row: dict[str, Any] = {}
    for key in TIME_FIGURES:
        for stat, value in hists[key].stats().items():
            row[f"{key}_{stat}"] = value
    row["solved"] = hists["solved"].n
    row["touches"] = hists["touches"].mean()
    row["one"] = hists["one_touch"].n
    row["reo"] = hists["reopened"].n
    row["one_touch"] = stats.rate(row["one"], row["solved"])
    row["reopen"] = stats.rate(row["reo"], row["solved"])
    return row


def _exact_time_rows(scope: Scope, wanted: list[periods.Period]) -> list[dict[str, Any]]:
    """The response figures of each period, computed in the database.

    Three reads whatever the number of periods (the page asks for the
    period and the previous one): the tickets created in any of them, their
    next-reply lists, the tickets solved in any of them; each figure is an
    aggregate restricted to its own period (``FILTER``).
    """
    if not wanted:
        return []
    facts = scope.facts()
    created_in = [_in("created_at", p.start, p.end) for p in wanted]
    solved_in = [_in("solved_at", p.start, p.end) for p in wanted]
    # Also one range around all the periods (implied by the OR): an OR of
    # ranges is read through bitmaps, one range can be an index-only scan of
    # the covering index, where the planner's costs favour it.
    span = (min(p.start for p in wanted), max(p.end for p in wanted))
    created = facts.filter(_in("created_at", *span), functools.reduce(operator.or_, created_in))
    solved = facts.filter(_in("solved_at", *span), functools.reduce(operator.or_, solved_in))
    first = {}
    ends = {}
    for i, (made, done) in enumerate(zip(created_in, solved_in, strict=True)):
        first |= _stats(f"p{i}_first_reply", "first_reply_seconds", made)
        first |= _stats(f"p{i}_first_reply_business", "first_reply_business", made)
        ends |= _stats(f"p{i}_resolution", "resolution_seconds", done)
        ends |= _stats(f"p{i}_resolution_business", "resolution_business", done)
        ends |= _stats(f"p{i}_wait", "wait_seconds", done)
        ends |= _stats(f"p{i}_wait_business", "wait_business", done)
        ends |= {
            f"p{i}_solved": Count("pk", filter=done),
            f"p{i}_touches": Avg("touches", filter=done),
            f"p{i}_one": Count("pk", filter=done & Q(replies=1, reopen_count=0)),
            f"p{i}_reo": Count("pk", filter=done & Q(reopen_count__gt=0)),
        }
    got = {**created.aggregate(**first), **solved.aggregate(**ends)}
    lists = lists_stats(created, ["next_reply_seconds", "next_reply_business"], created_in)
    out: list[dict[str, Any]] = []
    for i in range(len(wanted)):
        mine = f"p{i}_"
        row = {k.removeprefix(mine): v for k, v in got.items() if k.startswith(mine)}
        for key, column in (
            ("next_reply", "next_reply_seconds"),
            ("next_reply_business", "next_reply_business"),
        ):
            for stat, value in lists[i][column].items():
                row[f"{key}_{stat}"] = value
        row["one_touch"] = stats.rate(row["one"], row["solved"])
        row["reopen"] = stats.rate(row["reo"], row["solved"])
        out.append(row)
    return out


# What the breakdown reads from the monthly rollup.
BREAKDOWN_FIGURES = [
    "created",
    "first_reply",
    "first_reply_business",
    "solved",
    "resolution",
    "resolution_business",
    "wait",
    "one_touch",
    "reopened",
]


def _rolled_breakdown(by_group: dict[Any, dict[str, Hist]]) -> dict[Any, dict[str, Any]]:
    """The response breakdown's groups (team or agent) from the monthly
    rollup's histograms: counts exact, medians and 90th percentiles bucketed."""
    groups: dict[Any, dict[str, Any]] = {}
    for key, h in by_group.items():
        g: dict[str, Any] = {}
        if h["created"].n:
            g |= {
                "created": h["created"].n,
                "fr": h["first_reply"].median(),
                "frb": h["first_reply_business"].median(),
                "fr90": h["first_reply"].p90(),
            }
        if h["solved"].n:
            g |= {
                "solved": h["solved"].n,
                "res": h["resolution"].median(),
                "resb": h["resolution_business"].median(),
                "wait": h["wait"].median(),
                "one": h["one_touch"].n,
                "reo": h["reopened"].n,
            }
        if g:
            groups[key] = g
    return groups


def response(scope: Scope) -> Result:
    result = Result("response", str(_("Response and resolution")), scope)
    period = scope.period
    custom = field_dimensions.field_of(scope.by)
    by_team = None
    if custom is None and _dimension(scope)[2] == "team_id":
        # The breakdown by team (the default) and the summary read the same
        # cells and edges: read them once by team; the period's figures are
        # the teams' histograms added up (counts add, so they are exact).
        rollup = scope.monthly(period, "team_id")
        if rollup is not None:
            figures = list(dict.fromkeys([*SUMMARY_FIGURES, *BREAKDOWN_FIGURES]))
            by_team = monthly.read(rollup, scope.facts(), period, figures, "team_id")
    known = {period: monthly.added_up(by_team.values())} if by_team is not None else {}
    both = _time_rows(scope, [period, scope.previous] if scope.compare else [period], known)
    now, before = both[0], (both[1] if scope.compare else None)
    created = _range("created", period.start, period.end)
    solved = _range("solved", period.start, period.end)
    for key, label, _c, _b, which in TIME_METRICS:
        drill = created if which == "created" else solved
        for suffix, way in (("", _("calendar time")), ("_business", _("business time"))):
            for stat, stat_label in (
                ("median", _("median")),
                ("mean", _("mean")),
                ("p90", _("90th percentile")),
            ):
                name = f"{key}{suffix}_{stat}"
                result.summary.append(
                    Figure(
                        name,
                        f"{label}, {stat_label} ({way})",
                        Value(
                            now[name],
                            "duration",
                            drill=drill,
                            previous=before[name] if before else None,
                        ),
                    )
                )
    for key, label, kind in (
        ("touches", _("Agent touches per solved ticket"), "score"),
        ("one_touch", _("One-touch resolution rate"), "percent"),
        ("reopen", _("Reopen rate"), "percent"),
    ):
        result.summary.append(
            Figure(
                key,
                str(label),
                Value(now[key], kind, drill=solved, previous=before[key] if before else None),
            )
        )

    # The breakdown: one row per value of the chosen dimension.
    dim, dim_label, column = _dimension(scope)
    facts = scope.facts()
    if custom is not None:  # a custom choice field: no inbox filter to drill into
        dim, dim_label, column = f"field_{custom.key}", custom.label, field_dimensions.COLUMN
        facts = field_dimensions.annotate(facts, custom)
    groups: dict[Any, dict[str, Any]] = defaultdict(dict)
    rollup = scope.monthly(period, column) if column in ("team_id", "assignee_id") else None
    if by_team is not None:
        groups.update(_rolled_breakdown(by_team))
    elif rollup is not None:
        groups.update(
            _rolled_breakdown(monthly.read(rollup, facts, period, BREAKDOWN_FIGURES, column))
        )
    else:
        for row in (
            facts.filter(_in("created_at", period.start, period.end))
            .values(column)
            .annotate(
                created=Count("pk"),
                fr=Median("first_reply_seconds"),
                frb=Median("first_reply_business"),
                fr90=P90("first_reply_seconds"),
            )
            .order_by()
        ):
            groups[row.pop(column)].update(row)
        for row in (
            facts.filter(_in("solved_at", period.start, period.end))
            .values(column)
            .annotate(
                solved=Count("pk"),
                res=Median("resolution_seconds"),
                resb=Median("resolution_business"),
                wait=Median("wait_seconds"),
                one=Count("pk", filter=Q(replies=1, reopen_count=0)),
                reo=Count("pk", filter=Q(reopen_count__gt=0)),
            )
            .order_by()
        ):
            groups[row.pop(column)].update(row)
    names = field_dimensions.names(custom) if custom else _names(column, groups.keys())
    slugs = _type_slugs(groups) if column == "type_id" else None
    rows = []
    for key in sorted(
        groups, key=lambda k: -groups[k].get("created", 0) - groups[k].get("solved", 0)
    ):
        g = groups[key]
        d = _drill_value(column, key, slugs)

        def drill(base: dict[str, str], d: dict = d, **extra: str) -> dict[str, str] | None:
            return None if custom else {**base, **d, **extra}

        solved_n = g.get("solved", 0)
        rows.append(
            [
                _group_label(names, column, key),
                Value(g.get("created", 0), drill=drill(created)),
                Value(g.get("fr"), "duration", drill=drill(created)),
                Value(g.get("frb"), "duration", drill=drill(created)),
                Value(g.get("fr90"), "duration", drill=drill(created)),
                Value(solved_n, drill=drill(solved)),
                Value(g.get("res"), "duration", drill=drill(solved)),
                Value(g.get("resb"), "duration", drill=drill(solved)),
                Value(g.get("wait"), "duration", drill=drill(solved)),
                Value(stats.rate(g.get("one", 0), solved_n), "percent", drill=drill(solved)),
                Value(
                    stats.rate(g.get("reo", 0), solved_n),
                    "percent",
                    drill=drill(solved, reopened="1"),
                ),
            ]
        )
    result.tables.append(
        Table(
            f"by_{dim}",
            str(_("By %(dimension)s") % {"dimension": dim_label.lower()}),
            [
                (dim, dim_label),
                ("created", str(_("Created"))),
                ("first_reply_median", str(_("First reply, median"))),
                ("first_reply_business_median", str(_("First reply, median (business)"))),
                ("first_reply_p90", str(_("First reply, 90th percentile"))),
                ("solved", str(_("Solved"))),
                ("resolution_median", str(_("Resolution, median"))),
                ("resolution_business_median", str(_("Resolution, median (business)"))),
                ("wait_median", str(_("Requester wait, median"))),
                ("one_touch", str(_("One-touch %"))),
                ("reopen", str(_("Reopened %"))),
            ],
            rows,
        )
    )
    return result


# --- service levels -------------------------------------------------------

TARGET_LABELS = {
    "first_reply": _("First reply"),
    "next_reply": _("Next reply"),
    "resolution": _("Resolution"),
}
BREACH_PARAM = {
    "first_reply": "first_reply",
    "next_reply": "next_reply",
    "resolution": "resolution",
}


def _targets(scope: Scope, period: periods.Period) -> QuerySet:
    from tiski.sla.models import SlaTarget

    settled = Q(achieved_at__isnull=False) | Q(breached=True)
    return (
        SlaTarget.objects.filter(settled, ticket_id__in=scope.facts().values("ticket_id"))
        .annotate(settled_at=Coalesce("achieved_at", "due_at"))
        .filter(settled_at__gte=period.start, settled_at__lt=period.end)
    )


def _achievement(qs: QuerySet) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for kind, ok, bad in (
        qs.values("kind")
        .annotate(
            ok=Count("pk", filter=Q(breached=False)), bad=Count("pk", filter=Q(breached=True))
        )
        .order_by()
        .values_list("kind", "ok", "bad")
    ):
        out[kind] = {"achieved": ok, "breached": bad}
    return out


def sla(scope: Scope) -> Result:
    result = Result("sla", str(_("Service levels")), scope)
    period = scope.period
    now = _achievement(_targets(scope, period))
    before = _achievement(_targets(scope, scope.previous)) if scope.compare else {}
    for kind, label in TARGET_LABELS.items():
        got = now.get(kind, {"achieved": 0, "breached": 0})
        had = before.get(kind, {"achieved": 0, "breached": 0})
        result.summary.append(
            Figure(
                f"{kind}_achieved",
                str(_("%(target)s achieved") % {"target": label}),
                Value(
                    stats.rate(got["achieved"], got["achieved"] + got["breached"]),
                    "percent",
                    previous=stats.rate(had["achieved"], had["achieved"] + had["breached"])
                    if scope.compare
                    else None,
                ),
            )
        )
        result.summary.append(
            Figure(
                f"{kind}_breached",
                str(_("%(target)s breached") % {"target": label}),
                Value(
                    got["breached"],
                    drill={"breached": kind, **_range("settled", period.start, period.end)},
                    previous=had["breached"] if scope.compare else None,
                ),
            )
        )
    targets = _targets(scope, period)
    trunc = TRUNC[scope.bucket]("settled_at", tzinfo=periods.zone())
    series: dict[datetime, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for moment, kind, ok, bad in (
        targets.annotate(b=trunc)
        .values("b", "kind")
        .annotate(
            ok=Count("pk", filter=Q(breached=False)), bad=Count("pk", filter=Q(breached=True))
        )
        .order_by()
        .values_list("b", "kind", "ok", "bad")
    ):
        cell = series[_bucket_key(moment, scope.bucket)][kind]
        cell[0] += ok
        cell[1] += bad
    rows = []
    for start, end in periods.buckets(period, scope.bucket):
        cells = series.get(_bucket_key(start, scope.bucket), {})
        row = [Value(bucket_label(start, scope.bucket), "text")]
        for kind in TARGET_LABELS:
            ok, bad = cells.get(kind, [0, 0])
            row.append(Value(stats.rate(ok, ok + bad), "percent"))
            row.append(Value(bad, drill={"breached": kind, **_range("settled", start, end)}))
        rows.append(row)
    columns = [("bucket", str(periods.BUCKETS[scope.bucket]))]
    for kind, label in TARGET_LABELS.items():
        columns.append((f"{kind}_achieved", str(_("%(target)s achieved %%") % {"target": label})))
        columns.append((f"{kind}_breached", str(_("%(target)s breached") % {"target": label})))
    result.tables.append(
        Table(
            "over_time",
            str(_("Over time")),
            columns,
            rows,
            chart="bars",
            series=["first_reply_achieved", "next_reply_achieved", "resolution_achieved"],
        )
    )
    from tiski.sla.models import SlaPolicy

    policy_names = dict(SlaPolicy.objects.values_list("pk", "name"))
    rows = []
    for policy_id, kind, ok, bad in (
        targets.values("policy_id", "kind")
        .annotate(
            ok=Count("pk", filter=Q(breached=False)), bad=Count("pk", filter=Q(breached=True))
        )
        .order_by("policy_id", "kind")
        .values_list("policy_id", "kind", "ok", "bad")
    ):
        rows.append(
            [
                Value(policy_names.get(policy_id, "—"), "text"),
                Value(str(TARGET_LABELS.get(kind, kind)), "text"),
                Value(ok),
                Value(bad, drill={"breached": kind, **_range("settled", period.start, period.end)}),
                Value(stats.rate(ok, ok + bad), "percent"),
            ]
        )
    result.tables.append(
        Table(
            "by_policy",
            str(_("By policy")),
            [
                ("policy", str(_("SLA policy"))),
                ("target", str(_("Target"))),
                ("achieved", str(_("Achieved"))),
                ("breached", str(_("Breached"))),
                ("achieved_rate", str(_("Achieved %"))),
            ],
            rows,
        )
    )
    breached = list(
        targets.filter(breached=True).select_related("ticket").order_by("-settled_at", "-pk")[:50]
    )
    result.tables.append(
        Table(
            "breached",
            str(_("Breached tickets")),
            [
                ("ticket", str(_("Ticket"))),
                ("subject", str(_("Subject"))),
                ("target", str(_("Target"))),
                ("due", str(_("Due"))),
            ],
            [
                [
                    Value(f"#{t.ticket.number}", "text", link=t.ticket.get_absolute_url()),
                    Value(t.ticket.subject, "text"),
                    Value(str(TARGET_LABELS.get(t.kind, t.kind)), "text"),
                    Value(t.due_at, "datetime"),
                ]
                for t in breached
            ],
        )
    )
    return result


# --- satisfaction -----------------------------------------------------------


def _surveys(scope: Scope, kind: str, period: periods.Period, *, counted: bool = True) -> QuerySet:
    """The surveys of the period the user may count. ``counted=False`` leaves
    out "about a counted ticket" (CSAT) for a caller that joins the facts itself."""
    from tiski.surveys.models import SurveyInvitation

    qs = SurveyInvitation.objects.filter(
        kind=kind, sent_at__gte=period.start, sent_at__lt=period.end
    )
    if kind == "csat":
        # About tickets the user may see and the filters keep; agents: their own work.
        if counted:
            qs = qs.filter(ticket_id__in=scope.facts().values("ticket_id"))
        if not can_see_team_reports(scope.user):
            qs = qs.filter(agent_id=scope.user.pk)
    else:
        # NPS is about the desk, not one agent's work: managers only.
        if not can_see_team_reports(scope.user):
            return qs.none()
        if scope.filters.organisation:
            ids = [int(v) for v in scope.filters.organisation if v.isdigit()]
            qs = qs.filter(contact__organisation_id__in=ids)
    return qs


def _csat_rows(scope: Scope, period: periods.Period) -> tuple[QuerySet, str]:
    """The period's CSAT surveys the user may count, as `_surveys` counts
    them, and the name of their column of the team the survey rates.

    From the survey facts (`reports.survey_facts`: each survey carries its
    ticket's columns, so the visibility rule and the filters apply to it
    alone) unless a filter needs the ticket itself (a tag, a mailbox).
    """
    f = scope.filters
    if f.tag or f.mailbox:
        return _surveys(scope, "csat", period), "team_id"
    qs = f.apply(
        scope._visible(SurveyFact.objects.filter(sent_at__gte=period.start, sent_at__lt=period.end))
    )
    if not can_see_team_reports(scope.user):
        qs = qs.filter(agent_id=scope.user.pk)
    return qs, "survey_team_id"


def csat_figures(qs: QuerySet) -> dict[str, Any]:
    got = qs.aggregate(
        sent=Count("pk"),
        answered=Count("pk", filter=Q(answered_at__isnull=False, score__isnull=False)),
        satisfied=Count("pk", filter=Q(answered_at__isnull=False, score__gte=4)),
    )
    return _csat_from(got)


def _csat_from(got: dict[str, Any]) -> dict[str, Any]:
    """The CSAT figures from the counts sent, answered and satisfied."""
    got["csat"] = stats.rate(got["satisfied"], got["answered"])
    got["response_rate"] = stats.rate(got["answered"], got["sent"])
    return got


def csat_by(qs: QuerySet, column: str) -> dict[Any, float | None]:
    """CSAT % per value of ``column`` (agent, team, organisation...), in one query."""
    return {
        key: stats.rate(good, answered)
        for key, answered, good in qs.values(column)
        .annotate(
            answered=Count("pk", filter=Q(answered_at__isnull=False, score__isnull=False)),
            good=Count("pk", filter=Q(answered_at__isnull=False, score__gte=4)),
        )
        .order_by()
        .values_list(column, "answered", "good")
    }


def csat_by_fact(
    scope: Scope, period: periods.Period, column: str, keys: list[Any] | None = None
) -> dict[Any, float | None]:
    """CSAT % per value of a facts column (the ticket's organisation), in one query;
    only for ``keys`` when given (the rows a page lists).

    The same figure as `csat_by` over `_surveys` grouped through the ticket
    (``ticket__requester__organisation_id``): the facts carry the
    requester's organisation and are kept equal to it. Joining the period's
    surveys to the counted tickets' facts on the ticket reads each table
    once, instead of looking every survey's ticket and contact up.
    """
    surveys = _surveys(scope, "csat", period, counted=False).values(
        "ticket_id", "answered_at", "score"
    )
    facts = scope.facts()
    if keys is not None:
        facts = facts.filter(**{f"{column}__in": keys})
    facts = facts.values("ticket_id", column)
    try:
        survey_sql, survey_params = surveys.query.sql_with_params()
        fact_sql, fact_params = facts.query.sql_with_params()
    except EmptyResultSet:  # nothing the user may count (an inactive account)
        return {}
    quoted = connection.ops.quote_name(column)
    sql = (
        f"SELECT f.{quoted},"
        " COUNT(*) FILTER (WHERE s.answered_at IS NOT NULL AND s.score IS NOT NULL),"
        " COUNT(*) FILTER (WHERE s.answered_at IS NOT NULL AND s.score >= 4)"
        f" FROM ({survey_sql}) s INNER JOIN ({fact_sql}) f ON f.ticket_id = s.ticket_id"
        " GROUP BY 1"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, (*survey_params, *fact_params))
        return {key: stats.rate(good, answered) for key, answered, good in cursor.fetchall()}


def nps_figures(qs: QuerySet) -> dict[str, Any]:
    got = qs.aggregate(
        sent=Count("pk"),
        answered=Count("pk", filter=Q(answered_at__isnull=False, score__isnull=False)),
        promoters=Count("pk", filter=Q(answered_at__isnull=False, score__gte=9)),
        detractors=Count("pk", filter=Q(answered_at__isnull=False, score__lte=6)),
    )
    return _nps_from(got)


def _nps_from(got: dict[str, Any]) -> dict[str, Any]:
    """The NPS figures from the counts sent, answered, promoters and detractors."""
    got["passives"] = got["answered"] - got["promoters"] - got["detractors"]
    got["nps"] = (
        (100.0 * got["promoters"] / got["answered"] - 100.0 * got["detractors"] / got["answered"])
        if got["answered"]
        else None
    )
    got["response_rate"] = stats.rate(got["answered"], got["sent"])
    return got


@dataclass
class _SurveyCells:
    """A survey page's counts, read once: per period (0 the period, 1 the
    previous), time bucket and, for CSAT, agent and team, how many surveys
    were sent, answered, good (CSAT 4-5, NPS 9-10) and bad (0-6).

    Each figure of the page is a sum of cells, so the period's figures, the
    previous period's, the buckets and the agent and team tables come from
    one read of the surveys (and, for CSAT, of the facts that decide which
    surveys count) instead of five.
    """

    rows: list[tuple[int, datetime, Any, Any, int, int, int, int]]

    @classmethod
    def read(cls, scope: Scope, kind: str) -> _SurveyCells:
        wanted = [scope.period, scope.previous] if scope.compare else [scope.period]
        span = periods.Period(min(p.first for p in wanted), max(p.last for p in wanted))
        which = Case(
            *(
                When(sent_at__gte=p.start, sent_at__lt=p.end, then=SqlValue(i))
                for i, p in enumerate(wanted)
            ),
            output_field=IntegerField(),
        )
        if kind == "csat":
            surveys, rated_team = _csat_rows(scope, span)
            people: tuple[str, ...] = ("agent_id", rated_team)
        else:
            surveys, people = _surveys(scope, kind, span), ()
        answered = Q(answered_at__isnull=False)
        good = answered & Q(score__gte=4 if kind == "csat" else 9)
        qs = (
            surveys.annotate(which=which, b=TRUNC[scope.bucket]("sent_at", tzinfo=periods.zone()))
            .values("which", "b", *people)
            .annotate(
                sent=Count("pk"),
                answered=Count("pk", filter=answered & Q(score__isnull=False)),
                good=Count("pk", filter=good),
                bad=Count("pk", filter=answered & Q(score__lte=6)),
            )
            .order_by()
        )
        rows = []
        for row in qs.values_list("which", "b", *people, "sent", "answered", "good", "bad"):
            if people:
                rows.append(row)
            else:
                rows.append((row[0], row[1], None, None, *row[2:]))
        return cls(rows)

    def totals(self, which: int) -> tuple[int, int, int, int]:
        sums = [0, 0, 0, 0]
        for row in self.rows:
            if row[0] == which:
                for i in range(4):
                    sums[i] += row[4 + i]
        return sums[0], sums[1], sums[2], sums[3]

    def figures(self, kind: str, which: int) -> dict[str, Any]:
        sent, answered, good, bad = self.totals(which)
        if kind == "csat":
            return _csat_from({"sent": sent, "answered": answered, "satisfied": good})
        return _nps_from({"sent": sent, "answered": answered, "promoters": good, "detractors": bad})

    def by_bucket(self, bucket: str) -> dict[datetime, list[int]]:
        """The period's sent, answered, good and bad per bucket start."""
        per: dict[datetime, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
        for which, moment, _agent, _team, *counts in self.rows:
            if which == 0:
                cell = per[_bucket_key(moment, bucket)]
                for i, n in enumerate(counts):
                    cell[i] += n
        return per

    def by_person(self, column: str) -> dict[Any, tuple[int, int, float | None]]:
        """The period's sent, answered and CSAT % per agent or team."""
        at = 2 if column == "agent_id" else 3
        per: dict[Any, list[int]] = defaultdict(lambda: [0, 0, 0])
        for row in self.rows:
            if row[0] == 0:
                cell = per[row[at]]
                for i in range(3):
                    cell[i] += row[4 + i]
        return {
            key: (sent, answered, stats.rate(good, answered))
            for key, (sent, answered, good) in per.items()
        }


def _survey_report(scope: Scope, kind: str) -> Result:
    main = "csat" if kind == "csat" else "nps"
    result = Result(
        kind, str(_("Satisfaction (CSAT)") if kind == "csat" else _("Recommendation (NPS)")), scope
    )
    period = scope.period
    cells = _SurveyCells.read(scope, kind)
    now = cells.figures(kind, 0)
    before = cells.figures(kind, 1) if scope.compare else {}
    labels = {
        main: (
            _("CSAT: satisfied %") if kind == "csat" else _("NPS"),
            "percent" if kind == "csat" else "score",
        ),
        "sent": (_("Surveys sent"), "count"),
        "answered": (_("Answers"), "count"),
        "response_rate": (_("Response rate"), "percent"),
    }
    if kind == "nps":
        labels.update(
            {
                "promoters": (_("Promoters (9–10)"), "count"),
                "passives": (_("Passives (7–8)"), "count"),
                "detractors": (_("Detractors (0–6)"), "count"),
            }
        )
    for key, (label, value_kind) in labels.items():
        result.summary.append(
            Figure(key, str(label), Value(now[key], value_kind, previous=before.get(key)))
        )
    qs = _surveys(scope, kind, period)
    per_bucket = cells.by_bucket(scope.bucket)
    rows = []
    for start, _end in periods.buckets(period, scope.bucket):
        sent, answered, good, bad = per_bucket.get(_bucket_key(start, scope.bucket), [0, 0, 0, 0])
        if kind == "csat":
            main_value = stats.rate(good, answered)
        else:
            main_value = (100.0 * (good - bad) / answered) if answered else None
        rows.append(
            [
                Value(bucket_label(start, scope.bucket), "text"),
                Value(sent),
                Value(answered),
                Value(main_value, "percent" if kind == "csat" else "score"),
            ]
        )
    result.tables.append(
        Table(
            "over_time",
            str(_("Over time")),
            [
                ("bucket", str(periods.BUCKETS[scope.bucket])),
                ("sent", str(_("Sent"))),
                ("answered", str(_("Answers"))),
                (main, str(labels[main][0])),
            ],
            rows,
            chart="bars",
            series=["answered"],
        )
    )
    if kind == "csat":
        for dim, column in (("agent", "agent_id"), ("team", "team_id")):
            per_key = cells.by_person(column)
            names = _names("assignee_id" if dim == "agent" else "team_id", per_key.keys())
            none = _none_label("team_id" if dim == "team" else "assignee_id")
            rows = [
                [
                    Value(names.get(key, none), "text"),
                    Value(per_key[key][0]),
                    Value(per_key[key][1]),
                    Value(per_key[key][2], "percent"),
                ]
                for key in sorted(per_key, key=lambda k: names.get(k, none))
            ]
            result.tables.append(
                Table(
                    f"by_{dim}",
                    str(_("By %(dimension)s") % {"dimension": str(DIMENSIONS[dim][0]).lower()}),
                    [
                        (dim, str(DIMENSIONS[dim][0])),
                        ("sent", str(_("Sent"))),
                        ("answered", str(_("Answers"))),
                        ("csat", str(_("CSAT %"))),
                    ],
                    rows,
                )
            )
    comments = (
        qs.filter(answered_at__isnull=False)
        .exclude(comment="")
        .select_related("ticket")
        .order_by("-answered_at")[:50]
    )
    result.tables.append(
        Table(
            "comments",
            str(_("Comments")),
            [
                ("answered", str(_("Answered"))),
                ("score", str(_("Score"))),
                ("ticket", str(_("Ticket"))),
                ("comment", str(_("Comment"))),
            ],
            [
                [
                    Value(s.answered_at, "datetime"),
                    Value(s.score),
                    Value(
                        f"#{s.ticket.number}" if s.ticket_id else "",
                        "text",
                        link=s.ticket.get_absolute_url() if s.ticket_id else "",
                    ),
                    Value(s.comment, "text"),
                ]
                for s in comments
            ],
        )
    )
    return result


def csat(scope: Scope) -> Result:
    return _survey_report(scope, "csat")


def nps(scope: Scope) -> Result:
    return _survey_report(scope, "nps")


# --- agents and teams ---------------------------------------------------------


def _people_reads(scope: Scope) -> tuple[dict[str, Counter], dict[str, dict]]:
    """The agents page's replies and CSAT per agent and per team, each in one
    read grouped by both (the two tables used to read the same rows twice):
    ({"assignee_id": replies per author, "team_id": per team},
     {"assignee_id": CSAT per agent, "team_id": per team}). Counts add up,
    so a rate from the summed counts is the rate of the one grouping."""
    period = scope.period
    replies: dict[str, Counter] = {"assignee_id": Counter(), "team_id": Counter()}
    for author, team, n in _reply_counts(scope, period):
        replies["assignee_id"][author] += n
        replies["team_id"][team] += n
    answered: dict[str, Counter] = {"assignee_id": Counter(), "team_id": Counter()}
    good: dict[str, Counter] = {"assignee_id": Counter(), "team_id": Counter()}
    surveys, rated_team = _csat_rows(scope, period)
    for agent, team, a, g in (
        surveys.values("agent_id", rated_team)
        .annotate(
            answered=Count("pk", filter=Q(answered_at__isnull=False, score__isnull=False)),
            good=Count("pk", filter=Q(answered_at__isnull=False, score__gte=4)),
        )
        .order_by()
        .values_list("agent_id", rated_team, "answered", "good")
    ):
        for column, key in (("assignee_id", agent), ("team_id", team)):
            answered[column][key] += a
            good[column][key] += g
    csat = {
        column: {key: stats.rate(good[column][key], n) for key, n in answered[column].items()}
        for column in answered
    }
    return replies, csat


def _reply_counts(scope: Scope, period: periods.Period) -> Iterator[tuple[Any, Any, int]]:
    """The period's public replies the user may count, as (author, the
    ticket's team, n) rows, a key possibly more than once.

    One row per reply (reports.models.ReplyFact), narrowed by the
    visibility rule and the team and agent filters on its own columns (the
    ticket's, as the facts have them) and other filters by its ticket. A
    period of six whole months or more with no other filter reads its whole
    months from the monthly replies (reports.monthly_replies), its edges
    from the reply rows: over three years a few million rows otherwise.
    """
    f = scope.filters
    people_only = not set(f.as_params()) - {"team", "agent"}

    def narrowed(rows: QuerySet) -> QuerySet:
        rows = scope._visible(rows)
        if f.as_params():
            # Filtered (an agent always is: to their own tickets).
            rows = (
                f.apply(rows)
                if people_only
                else rows.filter(ticket_id__in=scope.facts().values("ticket_id"))
            )
        if not can_see_team_reports(scope.user):
            # An agent has the agents table only, and in it their own replies.
            rows = rows.filter(author_id=scope.user.pk)
        return rows

    def counted(rows: QuerySet, n: Any) -> Iterable[tuple[Any, Any, int]]:
        return (
            narrowed(rows)
            .values("author_id", "team_id")
            .annotate(n=n)
            .order_by()
            .values_list("author_id", "team_id", "n")
        )

    if not (people_only and monthly.usable(period)):
        yield from counted(
            ReplyFact.objects.filter(at__gte=period.start, at__lt=period.end), Count("pk")
        )
        return
    parts = monthly.split(period)
    yield from counted(MonthlyReplies.objects.filter(month__in=parts.months), Sum("replies"))
    if parts.edges:
        edges = functools.reduce(operator.or_, (_in("at", s, e) for s, e in parts.edges))
        yield from counted(ReplyFact.objects.filter(edges), Count("pk"))


def _people_rows(
    scope: Scope, column: str, replies: Counter, csat: dict[Any, float | None]
) -> list[list[Value]]:
    period = scope.period
    facts = scope.facts()
    created = _range("created", period.start, period.end)
    solved = _range("solved", period.start, period.end)
    groups: dict[Any, dict[str, Any]] = defaultdict(dict)
    rollup = scope.monthly(period, column)
    if rollup is not None:
        # Counts exact, medians from the histograms (docs/reports.md).
        figures = ["created", "first_reply", "solved", "resolution"]
        for key, h in monthly.read(rollup, facts, period, figures, column).items():
            if h["created"].n:
                groups[key].update(assigned=h["created"].n, fr=h["first_reply"].median())
            if h["solved"].n:
                groups[key].update(solved=h["solved"].n, res=h["resolution"].median())
    else:
        for row in (
            facts.filter(_in("created_at", period.start, period.end))
            .values(column)
            .annotate(assigned=Count("pk"), fr=Median("first_reply_seconds"))
            .order_by()
        ):
            groups[row.pop(column)].update(row)
        for row in (
            facts.filter(_in("solved_at", period.start, period.end))
            .values(column)
            .annotate(solved=Count("pk"), res=Median("resolution_seconds"))
            .order_by()
        ):
            groups[row.pop(column)].update(row)
    for key in replies:
        groups[key]  # noqa: B018 - an agent who only replied still gets a row
    names = _names(column, groups.keys())
    rows = []
    for key in sorted(groups, key=lambda k: (names.get(k) or "~").lower()):
        g = groups[key]
        d = _drill_value(column, key)
        rows.append(
            [
                _group_label(names, column, key),
                Value(g.get("assigned", 0), drill={**created, **d}),
                Value(g.get("solved", 0), drill={**solved, **d}),
                Value(replies[key]),
                Value(g.get("fr"), "duration", drill={**created, **d}),
                Value(g.get("res"), "duration", drill={**solved, **d}),
                Value(csat.get(key) if key is not None else None, "percent"),
            ]
        )
    return rows


def agents(scope: Scope) -> Result:
    result = Result("agents", str(_("Agents and teams")), scope)
    columns = [
        ("assigned", str(_("Assigned"))),
        ("solved", str(_("Solved"))),
        ("replies", str(_("Replies"))),
        ("first_reply_median", str(_("First reply, median"))),
        ("resolution_median", str(_("Resolution, median"))),
        ("csat", str(_("CSAT %"))),
    ]
    replies, csat = _people_reads(scope)
    agent_rows = _people_rows(scope, "assignee_id", replies["assignee_id"], csat["assignee_id"])
    result.tables.append(
        Table(
            "agents",
            str(_("Agents")),
            [("agent", str(_("Agent")))] + columns,
            agent_rows,
            chart="bars",
            series=["assigned", "solved"],
        )
    )
    if can_see_team_reports(scope.user):
        result.tables.append(
            Table(
                "teams",
                str(_("Teams")),
                [("team", str(_("Team")))] + columns,
                _people_rows(scope, "team_id", replies["team_id"], csat["team_id"]),
            )
        )
    for key, label, index in (
        ("assigned", _("Assigned"), 1),
        ("solved", _("Solved"), 2),
        ("replies", _("Replies"), 3),
    ):
        total = sum(row[index].value or 0 for row in agent_rows)
        result.summary.append(Figure(key, str(label), Value(total)))
    return result


# --- customers ----------------------------------------------------------------


# The customers page's lists of contacts (most tickets, most reopens, most
# breached tickets) and how long each is.
CONTACT_LISTS = {"n": 25, "reopened": 10, "breached": 10}
# PostgreSQL's work_mem for the contact ranking's grouping (see there).
CONTACT_GROUPING_MEMORY = "64MB"


# The contact lists' values, and the all-time totals that bound them.
CONTACT_VALUES = {
    "n": Count("pk"),
    "reopened": Sum("reopen_count"),
    "breached": Count("pk", filter=BREACHED),
}
CONTACT_BOUNDS = {"n": "tickets", "reopened": "reopened", "breached": "breached"}
# Contacts counted a batch at a time (the first batch small: it only has to
# give the list a last value to compare the totals with), and how many at
# most before the ranking is left to one grouping of the whole period.
CONTACT_FIRST_BATCH = 250
CONTACT_BATCH = 2000
CONTACT_BUDGET = 6000


def _ranked_by_bounds(created_in: QuerySet, key: str, limit: int) -> list[tuple[Any, int]] | None:
    """One contact list (`CONTACT_LISTS`), exactly, without grouping the
    whole period: the contacts are counted a batch at a time in order of
    their all-time totals (`reports.contact_totals`), which no count in a
    period or in what a user may see can exceed, until the next total
    cannot reach the list. None when more than `CONTACT_BUDGET` contacts
    would have to be counted (a short period, where the list's last value
    is small and many contacts reach it): the caller groups the period.
    """
    bound = CONTACT_BOUNDS[key]
    value = CONTACT_VALUES[key]
    candidates = (
        ContactTotals.objects.filter(**{f"{bound}__gt": 0})
        .order_by(f"-{bound}", "contact_id")
        .values_list("contact_id", bound)
    )
    exact: dict[int, int] = {}
    top: list[tuple[int, int]] = []
    seen = 0
    while True:
        size = CONTACT_FIRST_BATCH if not seen else CONTACT_BATCH
        batch = list(candidates[seen : seen + size])
        # A contact whose total is below the list's last value cannot enter
        # it; one equal to it can (ties go by the contact's id).
        wanted = [c for c, most in batch if len(top) < limit or most >= top[-1][1]]
        if not wanted:
            return top
        if seen and len(top) == limit:
            # The last value only grows: the contacts whose total reaches it
            # now are all that can still be needed. Too many: group instead.
            reaching = candidates.filter(**{f"{bound}__gte": top[-1][1]}).count()
            if reaching > CONTACT_BUDGET:
                return None
        seen += len(batch)
        if seen > CONTACT_BUDGET:
            return None
        for contact, n in (
            created_in.filter(requester_id__in=wanted)
            .values("requester_id")
            .annotate(v=value)
            .order_by()
            .values_list("requester_id", "v")
        ):
            if n:
                exact[contact] = n
        top = sorted(exact.items(), key=lambda item: (-item[1], item[0]))[:limit]
        if len(batch) < size:
            return top


def _contact_rankings_by_bounds(created_in: QuerySet) -> dict[str, list[tuple[Any, int]]] | None:
    """The three contact lists by `_ranked_by_bounds`, or None when one of
    them would count too many contacts."""
    out = {}
    for key, limit in CONTACT_LISTS.items():
        ranked = _ranked_by_bounds(created_in, key, limit)
        if ranked is None:
            return None
        out[key] = ranked
    return out


def _contact_rankings(created_in: QuerySet) -> dict[str, list[tuple[Any, int]]]:
    """The period's contacts ranked three ways in one read of the facts."""
    return _contact_rankings_and_total(created_in)[0]


def _contact_rankings_and_total(
    created_in: QuerySet,
) -> tuple[dict[str, list[tuple[Any, int]]], int]:
    """The period's contacts ranked three ways, and how many tickets the
    period has (the sum over all contacts), in one read of the facts.

    Each list is what its own ``ORDER BY value DESC, requester_id LIMIT k``
    gives (the reopened and breached lists keep contacts above zero), but
    the facts of the period are grouped once, in a common table expression
    that the three lists read. Each list is a top-k of the grouped rows,
    which the database keeps in a heap of k rows: ranking every contact by
    window functions sorted all of them three times (a third of a million
    contacts over three years at a million tickets).
    """
    grouped = (
        created_in.values("requester_id")
        .annotate(
            n=Count("pk"), reopened=Sum("reopen_count"), breached=Count("pk", filter=BREACHED)
        )
        .order_by()
    )
    try:
        sql, params = grouped.query.sql_with_params()
    except EmptyResultSet:  # nothing the user may count (an inactive account)
        return {key: [] for key in CONTACT_LISTS}, 0
    # PostgreSQL materialises a CTE read more than once; SQLite may inline it.
    lists = " UNION ALL ".join(
        f"SELECT * FROM (SELECT {i} AS list, requester_id, {key} AS value FROM grouped"
        + ("" if key == "n" else f" WHERE {key} > 0")
        + f" ORDER BY {key} DESC, requester_id LIMIT %s) top_{key}"
        for i, key in enumerate(CONTACT_LISTS)
    )
    # The period's tickets: every contact's count, summed (a read saved).
    lists += f" UNION ALL SELECT {len(CONTACT_LISTS)}, NULL, SUM(n) FROM grouped"
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Grouping a long period's tickets by contact holds a group per
            # contact (300,000 over three years at a million tickets): in the
            # default 4 MB the database spills them to disk in batches, a
            # third of the read. For this statement's transaction only.
            cursor.execute("SELECT set_config('work_mem', %s, true)", [CONTACT_GROUPING_MEMORY])
        cursor.execute(
            f"WITH grouped AS ({sql}) {lists} ORDER BY list, value DESC, requester_id",
            (*params, *CONTACT_LISTS.values()),
        )
        rows = cursor.fetchall()
    out: dict[str, list[tuple[Any, int]]] = {key: [] for key in CONTACT_LISTS}
    keys = list(CONTACT_LISTS)
    total = 0
    for list_no, requester_id, value in rows:
        if list_no == len(keys):
            total = int(value or 0)
        else:
            out[keys[list_no]].append((requester_id, value))
    return out, total


def customers(scope: Scope) -> Result:
    result = Result("customers", str(_("Customers")), scope)
    period = scope.period
    facts = scope.facts()
    created_in = facts.filter(_in("created_at", period.start, period.end))
    created = _range("created", period.start, period.end)
    surveys = _surveys(scope, "csat", period)
    by_bounds = _contact_rankings_by_bounds(created_in)
    if by_bounds is None:
        rankings, created_count = _contact_rankings_and_total(created_in)
    else:
        rankings, created_count = by_bounds, _volume_counts(scope, period)["created"]
    for dim, column, title in (
        ("organisation", "organisation_id", _("Organisations")),
        ("contact", "requester_id", _("Contacts")),
    ):
        if dim == "contact":
            top = rankings["n"]
        else:
            top = _busiest_organisations(scope, TOP_ORGANISATIONS)
        keys = [k for k, _n in top]
        detail: dict[Any, dict[str, Any]] = defaultdict(
            lambda: {"channels": set(), "open": 0, "fr": None}
        )
        top_keys = [k for k in keys if k is not None]
        # An organisation's CSAT: its tickets' surveys (the facts know the
        # ticket's organisation); a contact's: the surveys sent to it. Only
        # the listed ones are counted: grouping every survey of the period
        # by contact or organisation read them all for 25 rows.
        if dim == "organisation":
            csat = csat_by_fact(scope, period, column, top_keys)
        else:
            csat = csat_by(surveys.filter(contact_id__in=top_keys), "contact_id")
        mine = created_in.filter(**{f"{column}__in": top_keys})
        for key, open_now, fr in (
            mine.values(column)
            .annotate(
                o=Count("pk", filter=Q(status__in=UNSOLVED_STATUSES)),
                fr=Median("first_reply_seconds"),
            )
            .order_by()
            .values_list(column, "o", "fr")
        ):
            detail[key]["open"] = open_now
            detail[key]["fr"] = fr
        for key, channel in mine.values_list(column, "channel").distinct().order_by():
            detail[key]["channels"].add(channel)
        names = _names(column, keys)
        channel_names = dict(Channel.choices)
        rows = []
        for key, n in top:
            d = detail[key]
            drill = {
                **created,
                **(
                    {"organisation": str(key) if key else "none"}
                    if dim == "organisation"
                    else {"requester": str(key)}
                ),
            }
            rows.append(
                [
                    Value(
                        names.get(key, _none_label(column))
                        if key is not None
                        else _none_label(column),
                        "text",
                    ),
                    Value(n, drill=drill),
                    Value(
                        ", ".join(sorted(str(channel_names.get(c, c)) for c in d["channels"])),
                        "text",
                    ),
                    Value(d["open"], drill={**drill, "unsolved": "1"}),
                    Value(d["fr"], "duration"),
                    Value(csat.get(key) if key is not None else None, "percent"),
                ]
            )
        result.tables.append(
            Table(
                f"by_{dim}",
                str(title),
                [
                    (dim, str(_("Organisation") if dim == "organisation" else _("Contact"))),
                    ("tickets", str(_("Tickets"))),
                    ("channels", str(_("Channels"))),
                    ("open", str(_("Open now"))),
                    ("first_reply_median", str(_("First reply, median"))),
                    ("csat", str(_("CSAT %"))),
                ],
                rows,
            )
        )
    untouched = facts.filter(status__in=UNSOLVED_STATUSES, first_reply_at__isnull=True)
    result.summary.append(
        Figure(
            "untouched",
            str(_("Untouched tickets now")),
            Value(untouched.count(), drill={"untouched": "1"}),
        )
    )
    result.summary.append(Figure("created", str(_("Created")), Value(created_count, drill=created)))
    oldest = list(untouched.select_related("ticket").order_by("created_at")[:20])
    result.tables.append(
        Table(
            "untouched",
            str(_("Untouched tickets, oldest first")),
            [
                ("ticket", str(_("Ticket"))),
                ("subject", str(_("Subject"))),
                ("created", str(_("Created"))),
            ],
            [
                [
                    Value(f"#{f.ticket.number}", "text", link=f.ticket.get_absolute_url()),
                    Value(f.ticket.subject, "text"),
                    Value(f.created_at, "datetime"),
                ]
                for f in oldest
            ],
        )
    )
    for key, title, ranking, drill_extra in (
        (
            "most_reopened",
            _("Customers with the most reopened tickets"),
            "reopened",
            {"reopened": "1"},
        ),
        (
            "most_breached",
            _("Customers with the most breached tickets"),
            "breached",
            {"breached": "any"},
        ),
    ):
        top = rankings[ranking]
        names = _names("requester_id", [k for k, _n in top])
        result.tables.append(
            Table(
                key,
                str(title),
                [
                    ("contact", str(_("Contact"))),
                    # A number of tickets (the rules' "Count" is a verb).
                    ("count", str(pgettext_lazy("how many", "Count"))),
                ],
                [
                    [
                        Value(names.get(k, "—"), "text"),
                        Value(n, drill={**created, "requester": str(k), **drill_extra}),
                    ]
                    for k, n in top
                ],
            )
        )
    return result


# --- registry -----------------------------------------------------------------


@dataclass(frozen=True)
class ReportSpec:
    name: str
    title: Any
    build: Callable[[Scope], Result]
    # Breakdowns `--by` / the page's "by" select offers, besides time buckets.
    dimensions: tuple[str, ...] = ()
    # Also by each custom choice field (`field:<key>`, field_dimensions.py).
    field_breakdowns: bool = False


REPORTS: dict[str, ReportSpec] = {}


def register(spec: ReportSpec) -> None:
    """Add a report (the live helper's `handling` registers here once its app lands)."""
    REPORTS[spec.name] = spec


for _spec in (
    ReportSpec("volume", _("Volume"), volume),
    ReportSpec(
        "response",
        _("Response and resolution"),
        response,
        tuple(DIMENSIONS),
        field_breakdowns=True,
    ),
    ReportSpec("sla", _("Service levels"), sla),
    ReportSpec("agents", _("Agents and teams"), agents),
    ReportSpec("customers", _("Customers"), customers),
    ReportSpec("csat", _("Satisfaction (CSAT)"), csat),
    ReportSpec("nps", _("Recommendation (NPS)"), nps),
):
    register(_spec)


def run(name: str, scope: Scope) -> Result:
    return REPORTS[name].build(scope)


__all__ = [
    "DIMENSIONS",
    "REPORTS",
    "Figure",
    "Priority",
    "ReportFilters",
    "ReportSpec",
    "Result",
    "Scope",
    "Table",
    "Value",
    "register",
    "run",
]
