"""The daily volume rollup, kept in step with the facts.

Each ticket contributes +1 ``created`` to the desk-time-zone day of its
``created_at``, +1 ``solved`` to the day of its ``solved_at`` and +1
``reopened`` to the day of its ``first_reopened_at``, under its current
team and agent; a merged ticket contributes nothing. The same measures as
the hourly rollup (`reports.rollups`) with fewer dimensions, so that long
periods read a few cells per day: `facts.refresh` moves the difference of
each rewrite here too, `rebuild` recounts from the facts and `verify`
diffs the two. Days are cut in the desk's time zone when the facts are
written: after changing it, `tiski report --rebuild`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import TruncDate

from tiski.core.bulk import update_rows

from . import periods
from .models import DailyVolume, TicketFact
from .rollups import MEASURES

DIMENSIONS = ("team_id", "assignee_id")
FACT_COLUMNS = (*DIMENSIONS, *MEASURES.values(), "merged")
BATCH = 2000

Key = tuple[Any, ...]  # (day, team_id, assignee_id)


def day_of(moment: datetime) -> date:
    return moment.astimezone(periods.zone()).date()


def contributions(row: Mapping[str, Any] | None) -> Counter:
    """One ticket's cells: {(day, team, agent, measure): 1}."""
    out: Counter = Counter()
    if row is None or row["merged"]:
        return out
    dims = tuple(row[d] for d in DIMENSIONS)
    for measure, column in MEASURES.items():
        if row[column] is not None:
            out[(day_of(row[column]), *dims, measure)] += 1
    return out


def delta(old: Iterable[Mapping[str, Any] | None], new: Iterable[Mapping[str, Any]]) -> Counter:
    """What changes in the rollup when rows ``old`` become rows ``new``."""
    change: Counter = Counter()
    for row in new:
        change.update(contributions(row))
    for row in old:
        change.subtract(contributions(row))
    return Counter({k: v for k, v in change.items() if v})


def apply(change: Counter) -> None:
    """Move the counts (inside the caller's transaction), as `rollups.apply`
    does for the hours: the rows a key already has are locked and its
    oldest moves; a key without a row gets one."""
    cells: dict[Key, dict[str, int]] = defaultdict(lambda: dict.fromkeys(MEASURES, 0))
    for (*key, measure), n in change.items():
        cells[tuple(key)][measure] += n
    if not cells:
        return
    first: dict[Key, int] = {}
    for pk, *key in (
        DailyVolume.objects.filter(day__in={key[0] for key in cells})
        .order_by("pk")
        .values_list("pk", "day", *DIMENSIONS)
    ):
        if tuple(key) in cells:
            first.setdefault(tuple(key), pk)
    rows = {
        row.pk: row
        for row in DailyVolume.objects.select_for_update()
        .filter(pk__in=list(first.values()))
        .order_by("pk")
        .only("pk", *MEASURES)
    }
    moved, created = [], []
    for key, counts in cells.items():
        row = rows.get(first.get(key, 0))
        if row is not None:
            for measure, n in counts.items():
                setattr(row, measure, getattr(row, measure) + n)
            moved.append(row)
        else:
            day, *dims = key
            created.append(
                DailyVolume(day=day, **dict(zip(DIMENSIONS, dims, strict=True)), **counts)
            )
    update_rows(DailyVolume, moved, list(MEASURES))
    DailyVolume.objects.bulk_create(created, batch_size=BATCH)


def recount(facts: QuerySet | None = None) -> dict[Key, dict[str, int]]:
    """The rollup as the facts give it now, counted by the database per day
    (``facts``: the fact rows to count, for a migration's historical model)."""
    facts = (TicketFact.objects if facts is None else facts).filter(merged=False)
    zone = periods.zone()
    cells: dict[Key, dict[str, int]] = defaultdict(lambda: dict.fromkeys(MEASURES, 0))
    for measure, column in MEASURES.items():
        rows = (
            facts.filter(**{f"{column}__isnull": False})
            .annotate(d=TruncDate(column, tzinfo=zone))
            .values("d", *DIMENSIONS)
            .annotate(n=Count("pk"))
            .order_by()
            .values_list("d", *DIMENSIONS, "n")
        )
        for d, *dims, n in rows:
            cells[(d, *dims)][measure] += n
    return cells


def stored() -> dict[Key, dict[str, int]]:
    cells: dict[Key, dict[str, int]] = {}
    for d, *dims, created, solved, reopened in (
        DailyVolume.objects.values("day", *DIMENSIONS)
        .annotate(c=Sum("created"), s=Sum("solved"), r=Sum("reopened"))
        .order_by()
        .values_list("day", *DIMENSIONS, "c", "s", "r")
    ):
        counts = {"created": created, "solved": solved, "reopened": reopened}
        if any(counts.values()):
            cells[(d, *dims)] = counts
    return cells


def rows_of(cells: Mapping[Key, Mapping[str, int]], model: type = DailyVolume) -> list:
    return [
        model(day=key[0], **dict(zip(DIMENSIONS, key[1:], strict=True)), **counts)
        for key, counts in cells.items()
    ]


def rebuild() -> int:
    """Replace the rollup with a recount from the facts; how many rows were written."""
    rows = rows_of(recount())
    with transaction.atomic():
        DailyVolume.objects.all().delete()
        DailyVolume.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows)


def verify() -> Iterator[str]:
    """Every cell where the rollup and a recount from the facts differ."""
    want = {k: v for k, v in recount().items() if any(v.values())}
    have = stored()
    for key in sorted(set(want) | set(have), key=repr):
        if want.get(key) != have.get(key):
            yield (
                f"daily rollup {key[0]:%Y-%m-%d} {dict(zip(DIMENSIONS, key[1:], strict=True))}:"
                f" stored {have.get(key)}, recounted {want.get(key)}"
            )
