"""A volume rollup's cells: counts of created, solved and reopened tickets
per time bucket and a few dimensions, kept in step with the facts.

The hourly rollup (`reports.rollups`), the daily one (`reports.daily`)
and the monthly ones of created tickets (`reports.monthly_created`) differ
only in their table, their bucket (an hour in UTC, a day or a month in the
desk's time zone), their dimensions and their measures; how a ticket
contributes, how a change moves the counts, and how the table is
recounted, rebuilt and verified is written once here.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, models, transaction
from django.db.models import Count, QuerySet, Sum

from tiski.core.bulk import update_rows

from .models import TicketFact

MEASURES = {"created": "created_at", "solved": "solved_at", "reopened": "first_reopened_at"}
BATCH = 2000

Key = tuple[Any, ...]  # (bucket, *dimensions)
Cells = dict[Key, dict[str, int]]


@dataclass(frozen=True)
class Derived:
    """A dimension the facts do not store but compute from one of their
    columns (the local weekday of ``created_at``): in Python for a ticket's
    contribution, in the database for a recount."""

    column: str  # the fact column it is computed from
    of: Callable[[Any], Any]  # the column's value -> the dimension's
    expression: Callable[[str], Any]  # the column's name -> a database expression


@dataclass(frozen=True)
class VolumeCells:
    model: type[models.Model]
    bucket_field: str  # the table's time column ("hour", "day")
    dimensions: tuple[str, ...]
    # A moment → its bucket, as the key holds it.
    bucket_of: Callable[[Any], Any]
    # A fact column → the database's bucket of it (TruncHour, TruncDate ...).
    truncate: Callable[[str], Any]
    # The bucket as a stored or truncated value → the key's form.
    from_database: Callable[[Any], Any]
    # How `verify` names a bucket.
    label: Callable[[Any], str]
    # measure -> the fact column whose instant places it in a bucket.
    measures: Mapping[str, str] = field(default_factory=lambda: dict(MEASURES))
    # Dimensions (named in ``dimensions`` too) computed from a fact column.
    derived: Mapping[str, Derived] = field(default_factory=dict)
    # The rows counted: the ticket facts, or derived rows of another table
    # that has no merged tickets' rows at all (the replies).
    source: type[models.Model] = TicketFact

    @property
    def fact_columns(self) -> tuple[str, ...]:
        """The fact columns a ticket's contribution depends on."""
        stored = [d for d in self.dimensions if d not in self.derived]
        sources = [d.column for d in self.derived.values()]
        merged = ("merged",) if self.source is TicketFact else ()
        return tuple(dict.fromkeys((*stored, *sources, *self.measures.values(), *merged)))

    def _dimension(self, row: Mapping[str, Any], name: str) -> Any:
        derived = self.derived.get(name)
        if derived is None:
            return row[name]
        value = row[derived.column]
        return None if value is None else derived.of(value)

    def contributions(self, row: Mapping[str, Any] | None) -> Counter:
        """One ticket's cells: {(bucket, *dims, measure): 1}; a merged ticket has none."""
        out: Counter = Counter()
        if row is None or row.get("merged", False):
            return out
        dims = tuple(self._dimension(row, d) for d in self.dimensions)
        for measure, column in self.measures.items():
            if row[column] is not None:
                out[(self.bucket_of(row[column]), *dims, measure)] += 1
        return out

    def delta(
        self, old: Iterable[Mapping[str, Any] | None], new: Iterable[Mapping[str, Any]]
    ) -> Counter:
        """What changes in the rollup when rows ``old`` become rows ``new``."""
        change: Counter = Counter()
        for row in new:
            change.update(self.contributions(row))
        for row in old:
            change.subtract(self.contributions(row))
        return Counter({k: v for k, v in change.items() if v})

    def apply(self, change: Counter) -> None:
        """Move the counts (inside the caller's transaction).

        At most three statements whatever the number of cells: an import of
        years of mail touches a cell per bucket, and one SELECT and UPDATE or
        INSERT per cell were most of its report cost. Each cell moves its
        oldest row (the rows a key already has are locked as they are read,
        in the order of their ids, so two writers add up instead of
        overwriting); a key without a row gets one.
        """
        cells: Cells = defaultdict(lambda: dict.fromkeys(self.measures, 0))
        for (*key, measure), n in change.items():
            cells[tuple(key)][measure] += n
        if not cells:
            return
        rows = (
            self._rows_of_keys(list(cells))
            if connection.vendor == "postgresql"
            else self._rows_of_buckets(list(cells))
        )
        first: dict[Key, Any] = {}
        width = len(self.dimensions)
        for pk, bucket, *rest in rows:
            key = (self.from_database(bucket), *rest[:width])
            if key in cells and key not in first:
                counts = dict(zip(self.measures, rest[width:], strict=True))
                first[key] = self.model(pk=pk, **counts)
        moved, created = [], []
        for key, counts in cells.items():
            row = first.get(key)
            if row is not None:
                for measure, n in counts.items():
                    setattr(row, measure, getattr(row, measure) + n)
                moved.append(row)
            else:
                created.append(self.row(key, counts))
        update_rows(self.model, moved, list(self.measures))
        self.model.objects.bulk_create(created, batch_size=BATCH)

    def _rows_of_buckets(self, keys: list[Key]) -> Iterable[tuple]:
        """(pk, bucket, *dimensions, *measures) of the touched buckets' rows,
        narrowed by each dimension's values too (a month of the monthly
        rollups has thousands of cells), locked, in the order of their ids."""
        candidates = self.model.objects.filter(
            **{f"{self.bucket_field}__in": {key[0] for key in keys}}
        )
        for i, name in enumerate(self.dimensions, start=1):
            candidates = candidates.filter(_among(name, {key[i] for key in keys}))
        return (
            candidates.select_for_update()
            .order_by("pk")
            .values_list("pk", self.bucket_field, *self.dimensions, *self.measures)
        )

    def _rows_of_keys(self, keys: list[Key]) -> list[tuple]:
        """`_rows_of_buckets` for exactly these keys (PostgreSQL): the rows
        whose bucket and dimensions are one of ``keys``, joined on the keys
        sent as arrays. A chunk of tickets whose facts are new touches the
        created hour of each: narrowed by bucket and dimension values only,
        that read (and locked) most of the table for every chunk."""
        meta = self.model._meta
        quote = connection.ops.quote_name
        columns = [meta.get_field(name) for name in (self.bucket_field, *self.dimensions)]
        arrays = ", ".join(f"%s::{field.db_type(connection)}[]" for field in columns)
        names = [f"k{i}" for i in range(len(columns))]
        # The bucket is never empty: an equality the database can hash on.
        # A dimension may be (no team): NULL matches NULL, as in Python.
        on = " AND ".join(
            f"t.{quote(field.column)} = k.{name}"
            if i == 0
            else f"t.{quote(field.column)} IS NOT DISTINCT FROM k.{name}"
            for i, (field, name) in enumerate(zip(columns, names, strict=True))
        )
        pk = quote(meta.pk.column)
        selected = ", ".join(
            [f"t.{pk}"]
            + [f"t.{quote(field.column)}" for field in columns]
            + [f"t.{quote(meta.get_field(name).column)}" for name in self.measures]
        )
        sql = (
            f"SELECT {selected} FROM {quote(meta.db_table)} t"
            f" JOIN UNNEST({arrays}) AS k({', '.join(names)}) ON {on}"
            f" ORDER BY t.{pk} FOR UPDATE OF t"
        )
        params = [
            [field.get_db_prep_value(key[i], connection) for key in keys]
            for i, field in enumerate(columns)
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def rows_of(self, cells: Cells, model: type | None = None) -> list:
        """New rows for ``cells`` (of ``model``: a migration's historical table)."""
        return [self.row(key, counts, model) for key, counts in cells.items()]

    def row(self, key: Key, counts: Mapping[str, int], model: type | None = None) -> Any:
        """A new row of the table (or of ``model``, a migration's historical one)."""
        return (model or self.model)(
            **{self.bucket_field: key[0]},
            **dict(zip(self.dimensions, key[1:], strict=True)),
            **counts,
        )

    def recount(self, facts: QuerySet | None = None) -> Cells:
        """The rollup as the facts give it now, counted by the database per
        bucket (``facts``: the fact rows to count, for a migration's model)."""
        facts = self.source.objects.all() if facts is None else facts
        if self.source is TicketFact:
            facts = facts.filter(merged=False)
        cells: Cells = defaultdict(lambda: dict.fromkeys(self.measures, 0))
        derived = {
            name: d.expression(d.column) for name, d in self.derived.items()
        }  # annotated under the dimension's own name (no fact column has it)
        for measure, column in self.measures.items():
            rows = (
                facts.filter(**{f"{column}__isnull": False})
                .annotate(b=self.truncate(column), **derived)
                .values("b", *self.dimensions)
                .annotate(n=Count("pk"))
                .order_by()
                .values_list("b", *self.dimensions, "n")
            )
            for bucket, *dims, n in rows:
                cells[(self.from_database(bucket), *dims)][measure] += n
        return cells

    def stored(self) -> Cells:
        cells: Cells = {}
        # Aliases differ from the columns (an aggregate may not shadow one).
        sums = {f"sum_{m}": Sum(m) for m in self.measures}
        for bucket, *dims_and_counts in (
            self.model.objects.values(self.bucket_field, *self.dimensions)
            .annotate(**sums)
            .order_by()
            .values_list(self.bucket_field, *self.dimensions, *sums)
        ):
            dims = dims_and_counts[: len(self.dimensions)]
            counts = dict(zip(self.measures, dims_and_counts[len(self.dimensions) :], strict=True))
            if any(counts.values()):
                cells[(self.from_database(bucket), *dims)] = counts
        return cells

    def rebuild(self) -> int:
        """Replace the rollup with a recount from the facts; how many rows were written."""
        rows = self.rows_of(self.recount())
        with transaction.atomic():
            self.model.objects.all().delete()
            self.model.objects.bulk_create(rows, batch_size=BATCH)
        return len(rows)

    def verify(self) -> Iterator[str]:
        """Every cell where the rollup and a recount from the facts differ."""
        want = {k: v for k, v in self.recount().items() if any(v.values())}
        have = self.stored()
        for key in sorted(set(want) | set(have), key=repr):
            if want.get(key) != have.get(key):
                dims = dict(zip(self.dimensions, key[1:], strict=True))
                yield (
                    f"{self.label(key[0])} {dims}:"
                    f" stored {have.get(key)}, recounted {want.get(key)}"
                )


def _among(column: str, values: set) -> Any:
    """``column`` is one of ``values``, None among them meaning empty."""
    cond = models.Q(**{f"{column}__in": [v for v in values if v is not None]})
    if None in values:
        cond |= models.Q(**{f"{column}__isnull": True})
    return cond
