"""The hourly volume rollup, kept in step with the facts.

Each ticket contributes +1 ``created`` to the hour of its ``created_at``,
+1 ``solved`` to the hour of its ``solved_at`` and +1 ``reopened`` to the
hour of its ``first_reopened_at``, under its current team, agent, channel,
type and priority; a merged ticket contributes nothing. When `facts.refresh`
rewrites a ticket's facts it passes the old and new rows here, and only the
difference moves (usually one or two rows). `rebuild` recomputes the table
from the facts and `verify` diffs the two.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.db.models import Count, Sum
from django.db.models.functions import TruncHour

from tiski.core.bulk import update_rows

from .models import HourlyVolume, TicketFact

DIMENSIONS = ("team_id", "assignee_id", "type_id", "channel", "priority")
MEASURES = {"created": "created_at", "solved": "solved_at", "reopened": "first_reopened_at"}
# The fact columns a ticket's contribution depends on.
FACT_COLUMNS = (*DIMENSIONS, *MEASURES.values(), "merged")
BATCH = 2000

Key = tuple[Any, ...]  # (hour, *dimensions)


def _hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def contributions(row: Mapping[str, Any] | None) -> Counter:
    """One ticket's cells: {(hour, *dims, measure): 1}."""
    out: Counter = Counter()
    if row is None or row["merged"]:
        return out
    dims = tuple(row[d] for d in DIMENSIONS)
    for measure, column in MEASURES.items():
        if row[column] is not None:
            out[(_hour(row[column]), *dims, measure)] += 1
    return out


def delta(old: Iterable[Mapping[str, Any] | None], new: Iterable[Mapping[str, Any]]) -> Counter:
    """What changes in the rollup when rows ``old`` become rows ``new``."""
    change: Counter = Counter()
    for row in new:
        change.update(contributions(row))
    for row in old:
        change.subtract(contributions(row))
    return Counter({k: v for k, v in change.items() if v})


def _grouped(change: Counter) -> dict[Key, dict[str, int]]:
    cells: dict[Key, dict[str, int]] = defaultdict(lambda: dict.fromkeys(MEASURES, 0))
    for (*key, measure), n in change.items():
        cells[tuple(key)][measure] += n
    return cells


def apply(change: Counter) -> None:
    """Move the counts (inside the caller's transaction).

    A handful of statements whatever the number of cells: an import of years
    of mail touches a cell per hour, and one SELECT and UPDATE or INSERT per
    cell were most of its report cost. Each cell moves its oldest row (the
    rows a key already has are locked first, so two writers add up instead of
    overwriting); a key without a row gets one.
    """
    cells = _grouped(change)
    if not cells:
        return
    first: dict[Key, int] = {}
    for pk, hour, *dims in (
        HourlyVolume.objects.filter(hour__in={key[0] for key in cells})
        .order_by("pk")
        .values_list("pk", "hour", *DIMENSIONS)
    ):
        key = (_hour(hour), *dims)
        if key in cells:
            first.setdefault(key, pk)
    rows = {
        row.pk: row
        for row in HourlyVolume.objects.select_for_update()
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
            hour, *dims = key
            created.append(
                HourlyVolume(hour=hour, **dict(zip(DIMENSIONS, dims, strict=True)), **counts)
            )
    update_rows(HourlyVolume, moved, list(MEASURES))
    HourlyVolume.objects.bulk_create(created, batch_size=BATCH)


def recount() -> dict[Key, dict[str, int]]:
    """The rollup as the facts give it now, summed per hour and combination."""
    cells: dict[Key, dict[str, int]] = defaultdict(lambda: dict.fromkeys(MEASURES, 0))
    facts = TicketFact.objects.filter(merged=False)
    for measure, column in MEASURES.items():
        rows = (
            facts.filter(**{f"{column}__isnull": False})
            .annotate(h=TruncHour(column, tzinfo=UTC))
            .values("h", *DIMENSIONS)
            .annotate(n=Count("pk"))
            .order_by()
            .values_list("h", *DIMENSIONS, "n")
        )
        for h, *dims, n in rows:
            cells[(_hour(h), *dims)][measure] += n
    return cells


def stored() -> dict[Key, dict[str, int]]:
    cells: dict[Key, dict[str, int]] = {}
    for h, *dims, created, solved, reopened in (
        HourlyVolume.objects.values("hour", *DIMENSIONS)
        .annotate(c=Sum("created"), s=Sum("solved"), r=Sum("reopened"))
        .order_by()
        .values_list("hour", *DIMENSIONS, "c", "s", "r")
    ):
        counts = {"created": created, "solved": solved, "reopened": reopened}
        if any(counts.values()):
            cells[(_hour(h), *dims)] = counts
    return cells


def rebuild() -> int:
    """Replace the rollup with a recount from the facts; how many rows were written."""
    cells = recount()
    with transaction.atomic():
        HourlyVolume.objects.all().delete()
        rows = [
            HourlyVolume(hour=key[0], **dict(zip(DIMENSIONS, key[1:], strict=True)), **counts)
            for key, counts in cells.items()
        ]
        HourlyVolume.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows)


def verify() -> Iterator[str]:
    """Every cell where the rollup and a recount from the facts differ."""
    want = {k: v for k, v in recount().items() if any(v.values())}
    have = stored()
    for key in sorted(set(want) | set(have), key=repr):
        if want.get(key) != have.get(key):
            yield (
                f"rollup {key[0]:%Y-%m-%d %H}:00 {dict(zip(DIMENSIONS, key[1:], strict=True))}:"
                f" stored {have.get(key)}, recounted {want.get(key)}"
            )
