"""Medians and percentiles computed in the database, the same on both engines.

PostgreSQL has them as ordered-set aggregates: ``percentile_cont(0.5)`` is
the median of docs/reports.md (the mean of the two middle values when there
are an even number) and ``percentile_disc(0.9)`` is its nearest-rank 90th
percentile (the value at rank ceil(0.9 n)). SQLite has neither, so the app
registers two aggregate functions on every SQLite connection that compute
the very same definitions with `stats` (values stream through them; no
Python list of rows is built by the report). A report therefore reads one
row per group whatever the engine, and a test checks both give the answers
`stats` gives.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection as default_connection
from django.db.models import Aggregate, FloatField, Q, QuerySet

from . import stats

SQLITE_CONT = "tiski_percentile_cont"
SQLITE_DISC = "tiski_percentile_disc"


class _Percentile(Aggregate):
    output_field = FloatField()
    pg_function = ""
    sqlite_function = ""

    def __init__(self, expression: Any, fraction: float, **extra: Any) -> None:
        # A literal, not a parameter: it is part of the aggregate's shape.
        self.fraction = float(fraction)
        if not 0.0 <= self.fraction <= 1.0:
            raise ValueError("fraction must be between 0 and 1")
        super().__init__(expression, **extra)

    def _as(
        self, compiler: Any, connection: Any, function: str, template: str, **extra: Any
    ) -> Any:
        # The shape goes on a copy, not as a template= argument: Aggregate
        # passes its own template= when a filter is given, and both would clash.
        clone = self.copy()
        clone.function = function
        clone.template = template
        return Aggregate.as_sql(clone, compiler, connection, **extra)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self._as(
            compiler,
            connection,
            self.pg_function,
            f"%(function)s({self.fraction!r}) WITHIN GROUP (ORDER BY %(expressions)s)",
            **extra,
        )

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self._as(
            compiler,
            connection,
            self.sqlite_function,
            f"%(function)s(%(expressions)s, {self.fraction!r})",
            **extra,
        )


class PercentileCont(_Percentile):
    """Interpolated percentile; with 0.5, the median."""

    function = "PERCENTILE_CONT"
    pg_function = "PERCENTILE_CONT"
    sqlite_function = SQLITE_CONT


class PercentileDisc(_Percentile):
    """Nearest-rank percentile: the value at rank ceil(fraction * n)."""

    function = "PERCENTILE_DISC"
    pg_function = "PERCENTILE_DISC"
    sqlite_function = SQLITE_DISC


def Median(expression: Any, **extra: Any) -> PercentileCont:  # noqa: N802 - reads as an aggregate
    return PercentileCont(expression, 0.5, **extra)


def P90(expression: Any, **extra: Any) -> PercentileDisc:  # noqa: N802 - reads as an aggregate
    return PercentileDisc(expression, 0.9, **extra)


class _SqliteAggregate:
    """SQLite's aggregate protocol (step, finalize) over `stats`."""

    def __init__(self) -> None:
        self.values: list[float] = []
        self.fraction = 0.5

    def step(self, value: Any, fraction: float) -> None:
        self.fraction = fraction
        if value is not None:
            self.values.append(value)

    def finalize(self) -> float | None:
        raise NotImplementedError


class _SqliteCont(_SqliteAggregate):
    def finalize(self) -> float | None:
        return stats.interpolated(self.values, self.fraction)


class _SqliteDisc(_SqliteAggregate):
    def finalize(self) -> float | None:
        return stats.percentile(self.values, self.fraction)


def register_sqlite(sender: Any, connection: Any, **kwargs: Any) -> None:
    """connection_created receiver: give SQLite the two percentile aggregates."""
    if connection.vendor != "sqlite":
        return
    connection.connection.create_aggregate(SQLITE_CONT, 2, _SqliteCont)
    connection.connection.create_aggregate(SQLITE_DISC, 2, _SqliteDisc)


def list_stats(qs: QuerySet, column: str) -> dict[str, float | None]:
    """Median, mean and p90 over the JSON lists of ``column`` of these rows.

    The next-reply times are one list per ticket; the database unnests them
    (``jsonb_array_elements_text`` / ``json_each``) and aggregates the values.
    """
    return lists_stats(qs, [column], [Q()])[0][column]


def lists_stats(
    qs: QuerySet, columns: Sequence[str], groups: Sequence[Q]
) -> list[dict[str, dict[str, float | None]]]:
    """`list_stats` of several list columns, for several subsets of the rows,
    in one read: ``[{column: {"median", "mean", "p90"}} per group]``.

    A report asks this of the period and of the previous period, calendar
    and business time together: one scan of the rows instead of four. The
    columns must hold lists of the same length row by row (the facts' pairs
    of calendar and business times): they are unnested side by side. A row
    may fall in several groups (``Q()`` is every row).
    """
    from django.db.models import Case, F, IntegerField, Value, When

    marks = {
        f"tiski_g{i}": (
            Case(When(group, then=Value(1)), default=Value(0), output_field=IntegerField())
            if group
            else Value(1, output_field=IntegerField())
        )
        for i, group in enumerate(groups)
    }
    lists = {f"tiski_l{j}": F(column) for j, column in enumerate(columns)}
    inner, params = qs.annotate(**marks, **lists).values(*marks, *lists).query.sql_with_params()
    conn = default_connection
    pg = conn.vendor == "postgresql"
    cont, disc = ("percentile_cont", "percentile_disc") if pg else (SQLITE_CONT, SQLITE_DISC)
    selects = []
    for i in range(len(groups)):
        for j in range(len(columns)):
            only = f"FILTER (WHERE g{i} = 1)"
            if pg:
                selects += [
                    f"percentile_cont(0.5) WITHIN GROUP (ORDER BY v{j}) {only}",
                    f"avg(v{j}) {only}",
                    f"percentile_disc(0.9) WITHIN GROUP (ORDER BY v{j}) {only}",
                ]
            else:
                selects += [
                    f"{cont}(v{j}, 0.5) {only}",
                    f"avg(v{j}) {only}",
                    f"{disc}(v{j}, 0.9) {only}",
                ]
    flags = ", ".join(f"s.tiski_g{i} AS g{i}" for i in range(len(groups)))
    if pg:
        # Set-returning functions side by side in one select list advance in step.
        values = ", ".join(
            f"(jsonb_array_elements_text(s.tiski_l{j}))::float AS v{j}" for j in range(len(columns))
        )
        source = f"(SELECT {flags}, {values} FROM ({inner}) s) x"
    else:
        values = ", ".join(f"j{j}.value AS v{j}" for j in range(len(columns)))
        each = ", ".join(f"json_each(s.tiski_l{j}) j{j}" for j in range(len(columns)))
        same = " AND ".join(f"j{j}.key = j0.key" for j in range(1, len(columns))) or "1 = 1"
        source = f"(SELECT {flags}, {values} FROM ({inner}) s, {each} WHERE {same}) x"
    with conn.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(selects)} FROM {source}", params)
        got = list(cursor.fetchone())
    out: list[dict[str, dict[str, float | None]]] = []
    for _i in range(len(groups)):
        per: dict[str, dict[str, float | None]] = {}
        for column in columns:
            median, mean, p90 = got[:3]
            del got[:3]
            per[column] = {
                "median": None if median is None else float(median),
                "mean": None if mean is None else float(mean),
                "p90": None if p90 is None else float(p90),
            }
        out.append(per)
    return out
