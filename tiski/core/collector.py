"""Fewer garbage-collector runs during long batch jobs (a time-rule backlog
pass, `import-mail` and its parse workers).

A batch that builds tens of thousands of rows, parsed mails and model
instances sets off Python's cyclic collector thousands of times, and its
full collections walk every object the process holds, most of them the
loaded application (models, URL patterns, templates) that never becomes
garbage. On a 20,000-ticket backlog pass that was a fifth of the pass's CPU
time; over 3,000 imported messages 0.69 of the importer's 4.9 s
(bench/README.md).

The objects alive when the job starts are set aside (`gc.freeze`: not
walked, nor freed, until the job ends) and the youngest generation grows
larger between collections. Memory freed by reference counting (nearly
all of it) is freed as before; only cycles wait longer. What a job writes
does not depend on when the collector runs.

No Django imports: the parse workers use it too.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

# Allocations between two collections of the youngest generation during a
# time-rule pass (Python's default is 700): a young generation of a few MB at
# most and about 50 times fewer collections.
YOUNG_THRESHOLD = 10_000
# An import makes and drops far more short-lived objects per second; a pass
# every 50,000 measured best there.
IMPORT_THRESHOLD = 50_000


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


def settle(young: int = IMPORT_THRESHOLD) -> None:
    """For the rest of the process (a parse worker): collect once, freeze what
    is left (the start-up's modules, classes, settings), collect less often."""
    gc.collect()
    gc.freeze()
    first, second, third = gc.get_threshold()
    gc.set_threshold(max(young, first), second, third)
