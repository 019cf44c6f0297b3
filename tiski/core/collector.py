"""Fewer garbage-collector runs during a long batch job (a time-rule backlog pass).

A batch that builds tens of thousands of rows and model instances sets off
Python's cyclic collector thousands of times, and its full collections walk
every object the process holds, most of them the loaded application (models,
URL patterns, templates) that never becomes garbage. On a 20,000-ticket
backlog pass that was a fifth of the pass's CPU time (bench/README.md).

``fewer_collections`` sets the objects alive when the job starts aside for
its length (`gc.freeze`: they are not walked, nor freed, until it ends) and
lets the youngest generation grow larger between collections. Nothing is
lost: at the end everything goes back to the oldest generation and the
usual thresholds apply again, so garbage from before is still collected,
only later. What the job writes does not depend on when the collector runs.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

# Allocations between two collections of the youngest generation during
# the job (Python's default is 700). Ten thousand keeps the young
# generation small (a few MB at most) and collections about 50 times fewer.
YOUNG_THRESHOLD = 10_000


@contextmanager
def fewer_collections(young: int = YOUNG_THRESHOLD) -> Iterator[None]:
    """Run the block with the process's current objects frozen and a larger
    young generation; both undone at the end, even on an error.

    A process that froze its objects itself (a server after start-up) keeps
    its freeze: only the threshold changes then. With the collector
    disabled, nothing changes.
    """
    if not gc.isenabled():
        yield
        return
    thresholds = gc.get_threshold()
    freezing = gc.get_freeze_count() == 0
    if freezing:
        gc.freeze()
    gc.set_threshold(max(young, thresholds[0]), *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        if freezing:
            gc.unfreeze()
