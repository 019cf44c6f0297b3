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

from typing import Any

from django.db import connection as default_connection
from django.db.models import Aggregate, FloatField, QuerySet

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

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            function=self.pg_function,
            template=f"%(function)s({self.fraction!r}) WITHIN GROUP (ORDER BY %(expressions)s)",
            **extra,
        )

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            function=self.sqlite_function,
            template=f"%(function)s(%(expressions)s, {self.fraction!r})",
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
    from django.db.models import F

    inner, params = qs.annotate(tiski_list=F(column)).values("tiski_list").query.sql_with_params()
    conn = default_connection
    if conn.vendor == "postgresql":
        sql = (
            "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY v), avg(v),"
            " percentile_disc(0.9) WITHIN GROUP (ORDER BY v)"
            " FROM (SELECT (jsonb_array_elements_text(s.tiski_list))::float AS v"
            f" FROM ({inner}) s) x"
        )
    else:
        sql = (
            f"SELECT {SQLITE_CONT}(j.value, 0.5), avg(j.value), {SQLITE_DISC}(j.value, 0.9)"
            f" FROM ({inner}) s, json_each(s.tiski_list) j"
        )
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        median, mean, p90 = cursor.fetchone()
    return {
        "median": None if median is None else float(median),
        "mean": None if mean is None else float(mean),
        "p90": None if p90 is None else float(p90),
    }
