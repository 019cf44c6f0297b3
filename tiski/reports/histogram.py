"""Duration histograms: counts per logarithmic bucket, and the statistics read from them.

A bucket holds the whole seconds ``EDGES[i] <= v < EDGES[i + 1]``. Below
`FINE` seconds every bucket is one second wide (exact); above, each is at
most 5 % of its lower edge wide, so a value read back as its bucket's
middle is off by at most half a bucket: 2.5 % of the true value. Negative
durations (clocks of imported mail) mirror the positive buckets.

Counts and sums are kept exactly beside the buckets, so a count and a mean
read from histograms are exact; a median or a 90th percentile is the
bucket middle of the value at that rank, within 2.5 % of the exact one
(docs/reports.md, "Monthly rollup"). Pure: no database.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

WIDTH = 0.05
# Up to here each whole second is its own bucket (5 % of 20 s is one second).
FINE = 20
# Far above any duration an int column holds (68 years).
TOP = 2**31


def _edges() -> list[int]:
    edges = list(range(FINE + 1))
    while edges[-1] < TOP:
        edges.append(edges[-1] + max(1, math.floor(edges[-1] * WIDTH)))
    return edges


EDGES = _edges()


def index(value: int) -> int:
    """The bucket of a whole number of seconds (negative values mirror)."""
    if value < 0:
        return -1 - index(-value)
    return bisect_right(EDGES, value) - 1


def middle(bucket: int) -> float:
    """The value a bucket stands for: the middle of the whole seconds it holds."""
    if bucket < 0:
        return -middle(-1 - bucket)
    low = EDGES[bucket]
    high = EDGES[bucket + 1] - 1 if bucket + 1 < len(EDGES) else low
    return (low + high) / 2


@dataclass
class Hist:
    """How many values, their exact sum, and how many fell in each bucket.

    Figures without a value (a ticket created, solved, reopened) keep only
    the count.
    """

    n: int = 0
    total: int = 0
    buckets: Counter = field(default_factory=Counter)

    def add(self, value: int | None, times: int = 1) -> None:
        self.n += times
        if value is not None:
            self.total += int(value) * times
            self.buckets[index(int(value))] += times

    def merge(self, n: int, total: int, buckets: Mapping) -> None:
        """Add stored counts (bucket keys may be JSON strings)."""
        self.n += n
        self.total += total
        for key, count in buckets.items():
            self.buckets[int(key)] += count

    def update(self, other: Hist) -> None:
        self.merge(other.n, other.total, other.buckets)

    def mean(self) -> float | None:
        return self.total / self.n if self.n else None

    def _at(self, rank: int) -> float:
        """The bucket middle of the value at 0-based ``rank`` of the sorted values."""
        seen = 0
        for bucket in sorted(self.buckets):
            seen += self.buckets[bucket]
            if seen > rank:
                return middle(bucket)
        raise IndexError(rank)

    def _size(self) -> int:
        return sum(self.buckets.values())

    def median(self) -> float | None:
        """Like percentile_cont(0.5): the two middle values' mean for an even count."""
        size = self._size()
        if not size:
            return None
        low, high = (size - 1) // 2, size // 2
        return (self._at(low) + self._at(high)) / 2

    def p90(self) -> float | None:
        """Nearest rank, like percentile_disc(0.9): the value at rank ceil(0.9 n)."""
        size = self._size()
        if not size:
            return None
        return self._at(max(1, math.ceil(0.9 * size)) - 1)

    def stats(self) -> dict[str, float | None]:
        return {"median": self.median(), "mean": self.mean(), "p90": self.p90()}


def of(values: Iterable[int]) -> Hist:
    hist = Hist()
    for value in values:
        hist.add(value)
    return hist
