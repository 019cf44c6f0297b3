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
        # width_bucket counts the edges <= v (1-based): bisect_right.
        return (
            f"(CASE WHEN ({expr}) < 0 THEN -width_bucket(-({expr}), {PG_EDGES})"
            f" ELSE width_bucket(({expr}), {PG_EDGES}) - 1 END)"
        )
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
    by = f"{group}, " if column else ""
    parts = []
    for i, figure in enumerate(figures):
        value_col, is_list, at = spec[figure]
        where = [f"f.tiski_in_{at} = 1"]
        if figure == "one_touch":
            where.append("f.replies = 1 AND f.reopen_count = 0")
        elif figure == "reopened":
            where.append("f.reopen_count > 0")
        source = "f"
        if value_col is None:
            parts.append(
                f"SELECT {group}, {i}, CAST(NULL AS integer), COUNT(*), CAST(0 AS bigint)"
                f" FROM f WHERE {' AND '.join(where)} GROUP BY {by}2 HAVING COUNT(*) > 0"
            )
            continue
        if is_list:
            if pg:
                source = f"f CROSS JOIN LATERAL jsonb_array_elements_text(f.{qn(value_col)}) v(x)"
                v = "CAST(v.x AS bigint)"
            else:
                source = f"f, json_each(f.{qn(value_col)}) v"
                v = "CAST(v.value AS integer)"
        else:
            v = f"f.{qn(value_col)}"
            where.append(f"{v} IS NOT NULL")
        cond_sql = " AND ".join(where)
        parts.append(
            f"SELECT {group}, {i}, CAST(NULL AS integer), COUNT(*), CAST(SUM({v}) AS bigint)"
            f" FROM {source} WHERE {cond_sql} GROUP BY {by}2 HAVING COUNT(*) > 0"
        )
        parts.append(
            f"SELECT {group}, {i}, {_bucket(v)}, COUNT(*), CAST(NULL AS bigint)"
            f" FROM {source} WHERE {cond_sql} GROUP BY {by}2, 3"
        )
    sql = f"WITH f AS ({inner}) " + " UNION ALL ".join(parts)
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
