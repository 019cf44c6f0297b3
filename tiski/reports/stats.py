"""Median, mean and 90th percentile, as docs/reports.md defines them."""

from __future__ import annotations

import math
from collections.abc import Iterable


def median(values: Iterable[float]) -> float | None:
    ordered = sorted(values)
    n = len(ordered)
    if not n:
        return None
    mid = n // 2
    return float(ordered[mid]) if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def mean(values: Iterable[float]) -> float | None:
    items = list(values)
    return sum(items) / len(items) if items else None


def percentile(values: Iterable[float], share: float = 0.9) -> float | None:
    """Nearest rank: the value at position ceil(share * n) of the sorted values."""
    ordered = sorted(values)
    if not ordered:
        return None
    return float(ordered[max(1, math.ceil(share * len(ordered))) - 1])


def rate(part: int, whole: int) -> float | None:
    """A share in percent, or None when there is nothing to divide."""
    return 100.0 * part / whole if whole else None


def interpolated(values: Iterable[float], share: float = 0.5) -> float | None:
    """Linear interpolation between ranks (PostgreSQL's percentile_cont); 0.5: the median."""
    ordered = sorted(values)
    if not ordered:
        return None
    position = share * (len(ordered) - 1)
    below = math.floor(position)
    above = math.ceil(position)
    if below == above:
        return float(ordered[below])
    return ordered[below] + (position - below) * (ordered[above] - ordered[below])
