"""Fewer garbage collector passes for a long batch job (`import-mail`).

Python's cyclic collector runs whenever 700 more objects have been made
than freed, and every so often walks every object the process holds. An
import makes and drops hundreds of thousands of short-lived objects (rows,
parsed mail, query parameters) while holding Django's few hundred thousand
objects from start-up: timed with ``gc.callbacks`` over 3,000 messages,
the collector took 0.69 s of the importer's 4.9 s of CPU. Frozen start-up
objects are never walked again, and a larger first threshold makes a pass
every 50,000 objects instead of 700: 0.07 s (over a whole import on the
loaded benchmark machine, 2-4% of the importer's CPU). Memory freed by
reference counting (nearly all of it) is freed as before; only cycles
wait longer.

No Django imports: the parse workers use it too.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

# Objects made (net) between passes of the youngest generation.
THRESHOLD = 50_000


def settle() -> None:
    """Collect once, freeze what is left (the start-up's modules, classes,
    settings) and collect less often from now on, for the rest of the process."""
    gc.collect()
    gc.freeze()
    _first, second, third = gc.get_threshold()
    gc.set_threshold(max(THRESHOLD, _first), second, third)


@contextmanager
def settled() -> Iterator[None]:
    """`settle` for the length of a block; the collector as it was afterwards."""
    before = gc.get_threshold()
    settle()
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()
