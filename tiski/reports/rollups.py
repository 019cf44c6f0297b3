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
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncHour

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


def _match(key: Key) -> Q:
    hour, *dims = key
    cond = Q(hour=hour)
    for name, value in zip(DIMENSIONS, dims, strict=True):
        cond &= Q(**{f"{name}__isnull": True}) if value is None else Q(**{name: value})
    return cond


def apply(change: Counter) -> None:
    """Move the counts (inside the caller's transaction)."""
    for key, counts in _grouped(change).items():
        updated = (
            HourlyVolume.objects.filter(_match(key)).order_by("pk")[:1].values_list("pk", flat=True)
        )
        pk = next(iter(updated), None)
        if pk is not None:
            HourlyVolume.objects.filter(pk=pk).update(
                **{m: F(m) + n for m, n in counts.items() if n}
            )
        else:
            hour, *dims = key
            HourlyVolume.objects.create(
                hour=hour, **dict(zip(DIMENSIONS, dims, strict=True)), **counts
            )


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
