"""Histograms summed and bucketed by the database, for `monthly.read`.

A year's page reads thousands of monthly cells (one per month, team, agent
and figure, each with a JSON histogram of a hundred or more buckets) and
tens of thousands of facts in the period's edges. Decoding every cell's
JSON and adding every edge value to a histogram in Python cost a second
at a million tickets. Here the database does both: the cells' buckets are
unnested and summed per group, figure and bucket, and the edges' values
are put in the same buckets (`histogram.EDGES`: ``width_bucket`` on
PostgreSQL, a registered function on SQLite) and counted the same way. The
report then reads one row per group, figure and bucket, and the Hists it
builds are exactly the ones the per-row reading built (a test compares
them).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from . import histogram
from .histogram import Hist

SQLITE_BUCKET = "tiski_hist_bucket"
# The buckets' lower edges as a PostgreSQL array literal (our own integers).
PG_EDGES = "'{" + ",".join(str(e) for e in histogram.EDGES) + "}'::bigint[]"

# Adds (group, figure, count, total) or (group, figure, bucket, count) into the result.
Sink = Callable[[Any, str, int | None, int, int | None], None]


def _bucket(expr: str) -> str:
    """SQL for `histogram.index` of an integer expression."""
    if connection.vendor == "postgresql":
        # width_bucket counts the edges <= |v| (1-based): bisect_right, so
        # w - 1 for v >= 0 and, mirrored, -w for v < 0 (one edges literal).
        negative = f"CASE WHEN ({expr}) < 0 THEN 1 ELSE 0 END"
        return f"((width_bucket(abs({expr}), {PG_EDGES}) - 1) * (1 - 2 * {negative}) - {negative})"
    return f"{SQLITE_BUCKET}({expr})"


def _sql(qs: QuerySet) -> tuple[str, tuple] | None:
    try:
        return qs.query.sql_with_params()
    except EmptyResultSet:  # nothing the user may count (an inactive account)
        return None


def _run(sql: str, params: Sequence, figures: Sequence[str], sink: Sink) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for group, figure, bucket, count, total in cursor.fetchall():
            sink(group, figures[figure], bucket, count, total)


def add_rollup(out: Any, rows: QuerySet, figures: Sequence[str], column: str | None) -> None:
    """Sum these monthly rows per ``column`` value and figure into
    ``out[group][figure]`` (a Hist): counts and sums, and every bucket."""
    qn = connection.ops.quote_name
    cols = [column] if column else []
    shape = rows.annotate(
        tiski_f=Case(
            *(When(figure=f, then=Value(i)) for i, f in enumerate(figures)),
            output_field=IntegerField(),
        )
    ).values(*cols, "tiski_f", "n", "total", "hist")
    got = _sql(shape.order_by())
    if got is None:
        return
    inner, params = got
    group = f"m.{qn(column)}" if column else "NULL"
    by = f"m.{qn(column)}, m.tiski_f" if column else "m.tiski_f"
    if connection.vendor == "postgresql":
        each, key, value = "CROSS JOIN LATERAL jsonb_each_text(m.hist) e", "e.key", "e.value"
    else:
        each, key, value = ", json_each(m.hist) e", "e.key", "e.value"
    sql = (
        f"WITH m AS ({inner})"
        f" SELECT {group}, m.tiski_f, CAST(NULL AS integer),"
        " CAST(SUM(m.n) AS bigint), CAST(SUM(m.total) AS bigint)"
        f" FROM m GROUP BY {by}"
        " UNION ALL"
        f" SELECT {group}, m.tiski_f, CAST({key} AS integer),"
        f" CAST(SUM(CAST({value} AS bigint)) AS bigint), CAST(NULL AS bigint)"
        f" FROM m {each} GROUP BY {by}, CAST({key} AS integer)"
    )
    _run(sql, params, figures, _sink(out))


def add_edges(
    out: Any,
    facts: QuerySet,
    edges: Sequence[tuple[datetime, datetime]],
    figures: Sequence[str],
    column: str | None,
    spec: dict[str, tuple[str | None, bool, str]],
) -> None:
    """Put the values of the facts placed in ``edges`` in ``out[group][figure]``
    as `monthly.figures_of` and `Hist.add` would, one query for all figures.

    ``spec`` is `monthly.FIGURES` (column, is a list, placing instant).
    """
    qn = connection.ops.quote_name
    placed = sorted({spec[f][2] for f in figures})

    def within(at: str) -> Q:
        cond = Q()
        for start, end in edges:
            cond |= Q(**{f"{at}__gte": start, f"{at}__lt": end})
        return cond

    marks = {
        f"tiski_in_{at}": Case(
            When(within(at), then=Value(1)), default=Value(0), output_field=IntegerField()
        )
        for at in placed
    }
    cond = Q()
    for at in placed:
        cond |= within(at)
    cols = {"replies", "reopen_count", *(spec[f][0] for f in figures if spec[f][0])}
    if column:
        cols.add(column)
    got = _sql(facts.filter(cond).annotate(**marks).values(*sorted(cols), *marks).order_by())
    if got is None:
        return
    inner, params = got
    pg = connection.vendor == "postgresql"
    group = f"f.{qn(column)}" if column else "NULL"
    # Every figure's values as rows (group, figure, value; no value for a
    # count), then one pass counts and sums them and one puts them in buckets.
    members = []
    for i, figure in enumerate(figures):
        value_col, is_list, at = spec[figure]
        where = f"f.tiski_in_{at} = 1"
        if figure == "one_touch":
            where += " AND f.replies = 1 AND f.reopen_count = 0"
        elif figure == "reopened":
            where += " AND f.reopen_count > 0"
        if value_col is None:
            value, source = "NULL", "f"
        elif is_list:
            if pg:
                source = f"f CROSS JOIN LATERAL jsonb_array_elements_text(f.{qn(value_col)}) e(x)"
                value = "e.x"
            else:
                source, value = f"f, json_each(f.{qn(value_col)}) e", "e.value"
        else:
            value, source = f"f.{qn(value_col)}", "f"
            where += f" AND {value} IS NOT NULL"
        members.append(
            f"SELECT {group} AS g, {i} AS fig, CAST({value} AS bigint) AS val"
            f" FROM {source} WHERE {where}"
        )
    by, g = ("v.g, v.fig", "v.g") if column else ("v.fig", "NULL")
    sql = (
        f"WITH f AS ({inner}), v AS ({' UNION ALL '.join(members)})"
        f" SELECT {g}, v.fig, CAST(NULL AS integer), COUNT(*), CAST(SUM(v.val) AS bigint)"
        f" FROM v GROUP BY {by}"
        " UNION ALL"
        f" SELECT {g}, v.fig, {_bucket('v.val')}, COUNT(*), CAST(NULL AS bigint)"
        f" FROM v WHERE v.val IS NOT NULL GROUP BY {by}, 3"
    )
    _run(sql, params, figures, _sink(out))


def _sink(out: Any) -> Sink:
    def add(group: Any, figure: str, bucket: int | None, count: int, total: int | None) -> None:
        hist: Hist = out[group][figure]
        if bucket is None:
            hist.n += int(count)
            hist.total += int(total or 0)
        else:
            hist.buckets[int(bucket)] += int(count)

    return add


def register_sqlite(sender: Any, connection: Any, **kwargs: Any) -> None:
    """connection_created receiver: give SQLite `histogram.index` as a function."""
    if connection.vendor != "sqlite":
        return
    connection.connection.create_function(
        SQLITE_BUCKET,
        1,
        lambda v: None if v is None else histogram.index(int(v)),
        deterministic=True,
    )
