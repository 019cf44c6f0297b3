"""The monthly rollup: per desk-time-zone month, team and agent, each time
figure's count, exact sum and histogram (`histogram`), kept in step with the facts.

Each ticket's facts place its figures in a month: created, first reply and
next replies by the month it was created; solved, touches, one-touch,
reopened, resolution and wait by the month of its final solve (the same
tickets the response page counts). A merged ticket contributes nothing.
Every value is in two cells: its agent's, and its team's cell of all
agents (``whole_team``), which readers that group by no agent read: a few
rows a month instead of one per agent (`metrics.Scope.monthly` keeps the
visibility rule exact over the two).
`facts.refresh` passes each ticket's old and new facts here and only the
difference moves; `rebuild` recounts the table from the facts, `verify`
diffs the two. Reads (`read`) take the whole months of a period from here
and its edges from the facts; docs/reports.md, "Monthly rollup", says
which figures stay exact.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet

from tiski.core.bulk import update_rows

from . import histogram_sql, periods
from .histogram import Hist
from .models import MonthlyFigure, TicketFact

# figure: facts column holding its value (None: a count only), whether the
# column is a list (one value per exchange), the instant placing it in a month.
FIGURES: dict[str, tuple[str | None, bool, str]] = {
    "created": (None, False, "created_at"),
    "first_reply": ("first_reply_seconds", False, "created_at"),
    "first_reply_business": ("first_reply_business", False, "created_at"),
    "next_reply": ("next_reply_seconds", True, "created_at"),
    "next_reply_business": ("next_reply_business", True, "created_at"),
    "solved": (None, False, "solved_at"),
    "touches": ("touches", False, "solved_at"),
    "one_touch": (None, False, "solved_at"),
    "reopened": (None, False, "solved_at"),
    "resolution": ("resolution_seconds", False, "solved_at"),
    "resolution_business": ("resolution_business", False, "solved_at"),
    "wait": ("wait_seconds", False, "solved_at"),
    "wait_business": ("wait_business", False, "solved_at"),
}
# The fact columns a ticket's contribution depends on.
FACT_COLUMNS = (
    "team_id",
    "assignee_id",
    "merged",
    "created_at",
    "solved_at",
    "replies",
    "reopen_count",
    *sorted({column for column, _l, _at in FIGURES.values() if column}),
)
# A period with fewer whole months than this is read from the facts alone,
# exactly: short periods are cheap, and their medians stay exact.
MIN_MONTHS = 6
BATCH = 2000

Key = tuple[date, Any, Any, bool, str]  # (month, team_id, assignee_id, whole_team, figure)


def month_of(moment: datetime) -> date:
    """The first day of the desk-time-zone month holding ``moment``."""
    return moment.astimezone(periods.zone()).date().replace(day=1)


def _counted(row: Mapping[str, Any], figure: str) -> bool:
    if figure == "one_touch":
        return row["replies"] == 1 and row["reopen_count"] == 0
    if figure == "reopened":
        return row["reopen_count"] > 0
    return True


def figures_of(
    row: Mapping[str, Any] | None, wanted: Iterable[str] = FIGURES
) -> Iterator[tuple[str, datetime, int | None]]:
    """(figure, the instant placing it, value or None) of one ticket's facts."""
    if row is None or row["merged"]:
        return
    for figure in wanted:
        column, is_list, placed_by = FIGURES[figure]
        moment = row[placed_by]
        if moment is None or not _counted(row, figure):
            continue
        if column is None:
            yield figure, moment, None
        elif is_list:
            for value in row[column] or []:
                yield figure, moment, int(value)
        elif row[column] is not None:
            yield figure, moment, row[column]


def contributions(rows: Iterable[Mapping[str, Any] | None]) -> dict[Key, Hist]:
    """The cells these tickets' facts fill."""
    cells: dict[Key, Hist] = defaultdict(Hist)
    for row in rows:
        months: dict[datetime, date] = {}  # a row places its figures by two instants
        for figure, moment, value in figures_of(row):
            month = months.get(moment)
            if month is None:
                month = months[moment] = month_of(moment)
            team_id = row["team_id"]
            cells[(month, team_id, row["assignee_id"], False, figure)].add(value)
            # The team's own cell, all its agents together: what a reader
            # who groups by no agent reads (a few cells a month, not dozens).
            cells[(month, team_id, None, True, figure)].add(value)
    return cells


def delta(old: Iterable[Mapping[str, Any] | None], new: Iterable[Mapping[str, Any]]) -> dict:
    """What changes in the rollup when rows ``old`` become rows ``new``."""
    change = contributions(new)
    for key, hist in contributions(old).items():
        cell = change[key]
        cell.n -= hist.n
        cell.total -= hist.total
        cell.buckets.subtract(hist.buckets)
    out = {}
    for key, hist in change.items():
        hist.buckets = Counter({k: v for k, v in hist.buckets.items() if v})
        if hist.n or hist.total or hist.buckets:
            out[key] = hist
    return out


def _nullable_in(column: str, values: set) -> Q:
    cond = Q(**{f"{column}__in": [v for v in values if v is not None]})
    if None in values:
        cond |= Q(**{f"{column}__isnull": True})
    return cond


def apply(change: Mapping[Key, Hist]) -> None:
    """Move the counts (inside the caller's transaction).

    The rows of the touched months and agents are locked first, so two
    writers add up instead of overwriting; each cell moves its oldest row
    (two first writes racing may leave a second one; every read sums), a
    cell without a row gets one, and a row left empty is deleted.
    """
    if not change:
        return
    candidates = (
        MonthlyFigure.objects.select_for_update()
        .filter(month__in={k[0] for k in change}, figure__in={k[4] for k in change})
        .filter(_nullable_in("assignee_id", {k[2] for k in change}))
        .filter(_nullable_in("team_id", {k[1] for k in change}))
        .order_by("pk")
    )
    first: dict[Key, MonthlyFigure] = {}
    for row in candidates:
        first.setdefault((row.month, row.team_id, row.assignee_id, row.whole_team, row.figure), row)
    moved, created, emptied = [], [], []
    for key, hist in change.items():
        row = first.get(key)
        if row is None:
            row = _as_row(key, Hist())
            created.append(row)
        else:
            moved.append(row)
        row.n += hist.n
        row.total += hist.total
        buckets = {int(k): v for k, v in (row.hist or {}).items()}
        for bucket, count in hist.buckets.items():
            buckets[bucket] = buckets.get(bucket, 0) + count
        row.hist = {str(k): v for k, v in sorted(buckets.items()) if v}
    for row in moved:
        if not (row.n or row.total or row.hist):
            emptied.append(row.pk)
    update_rows(MonthlyFigure, [r for r in moved if r.pk not in emptied], ["n", "total", "hist"])
    if emptied:
        MonthlyFigure.objects.filter(pk__in=emptied).delete()
    MonthlyFigure.objects.bulk_create(
        [r for r in created if r.n or r.total or r.hist], batch_size=BATCH
    )


def recount(rows: Iterable[Mapping[str, Any]] | None = None) -> dict[Key, Hist]:
    """The rollup as the facts give it now (``rows``: fact rows, default all)."""
    if rows is None:
        rows = (
            TicketFact.objects.filter(merged=False)
            .values(*FACT_COLUMNS)
            .order_by()
            .iterator(chunk_size=BATCH)
        )
    return contributions(rows)


def _as_row(key: Key, hist: Hist) -> MonthlyFigure:
    month, team_id, assignee_id, whole_team, figure = key
    return MonthlyFigure(
        month=month,
        team_id=team_id,
        assignee_id=assignee_id,
        whole_team=whole_team,
        figure=figure,
        n=hist.n,
        total=hist.total,
        hist={str(k): v for k, v in sorted(hist.buckets.items()) if v},
    )


def stored() -> dict[Key, Hist]:
    cells: dict[Key, Hist] = defaultdict(Hist)
    for *key, n, total, hist in MonthlyFigure.objects.values_list(
        "month", "team_id", "assignee_id", "whole_team", "figure", "n", "total", "hist"
    ).iterator(chunk_size=BATCH):
        cells[tuple(key)].merge(n, total, hist or {})
    return cells


def rebuild() -> int:
    """Replace the rollup with a recount from the facts; how many rows were written."""
    cells = recount()
    with transaction.atomic():
        MonthlyFigure.objects.all().delete()
        rows = [_as_row(key, hist) for key, hist in cells.items()]
        MonthlyFigure.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows)


def _plain(hist: Hist | None) -> tuple[int, int, dict[int, int]] | None:
    if hist is None:
        return None
    buckets = {k: v for k, v in hist.buckets.items() if v}
    if not (hist.n or hist.total or buckets):
        return None
    return hist.n, hist.total, buckets


def verify() -> Iterator[str]:
    """Every cell where the monthly rollup and a recount from the facts differ."""
    want, have = recount(), stored()
    for key in sorted(set(want) | set(have), key=repr):
        w, h = _plain(want.get(key)), _plain(have.get(key))
        if w != h:
            month, team_id, assignee_id, whole_team, figure = key
            who = "all agents" if whole_team else f"agent {assignee_id}"
            yield (
                f"monthly {month:%Y-%m} team {team_id} {who} {figure}: stored {h}, recounted {w}"
            )


# --- reading ------------------------------------------------------------------


@dataclass(frozen=True)
class Split:
    """A period as whole desk months plus the edges before and after them."""

    months: list[date]
    edges: list[tuple[datetime, datetime]]


def split(period: periods.Period) -> Split:
    months = []
    day = period.first.replace(day=1)
    if day < period.first:
        day = periods._add_months(day, 1)
    while periods._add_months(day, 1) <= period.last + timedelta(days=1):
        months.append(day)
        day = periods._add_months(day, 1)
    if not months:
        return Split([], [(period.start, period.end)])
    edges = []
    first_start = periods.local_midnight(months[0])
    last_end = periods.local_midnight(periods._add_months(months[-1], 1))
    if period.start < first_start:
        edges.append((period.start, first_start))
    if last_end < period.end:
        edges.append((last_end, period.end))
    return Split(months, edges)


def usable(period: periods.Period) -> bool:
    """Whether a period is long enough to read from the rollup."""
    return len(split(period).months) >= MIN_MONTHS


def read(
    rollup: Sequence[QuerySet[MonthlyFigure]],
    facts: QuerySet[TicketFact],
    period: periods.Period,
    figures: Sequence[str],
    column: str | None = None,
) -> dict[Any, dict[str, Hist]]:
    """Each figure's histogram over the period, per value of ``column``
    (``team_id`` or ``assignee_id``; None: one group, keyed None).

    ``rollup`` (disjoint sets of rows, `metrics.Scope.monthly`) and
    ``facts`` are already narrowed to what the user may count; the whole
    months come from the first, the edges from the second.
    """
    parts = split(period)
    out: dict[Any, dict[str, Hist]] = defaultdict(lambda: defaultdict(Hist))
    # Summed and bucketed by the database (`histogram_sql`): a row per
    # group, figure and bucket, not a JSON cell or a fact row each.
    for rows in rollup if parts.months else []:
        histogram_sql.add_rollup(
            out, rows.filter(month__in=parts.months, figure__in=list(figures)), figures, column
        )
    if parts.edges:
        histogram_sql.add_edges(out, facts, parts.edges, figures, column, FIGURES)
    return out


def added_up(groups: Iterable[Mapping[str, Hist]]) -> dict[str, Hist]:
    """Several groups' histograms as one (counts, sums and buckets add up)."""
    out: dict[str, Hist] = defaultdict(Hist)
    for by_figure in groups:
        for figure, hist in by_figure.items():
            out[figure].update(hist)
    return out
