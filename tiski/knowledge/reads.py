"""Article reads, counted in memory and added to `Article.views` in batches.

A cached article page answers with one query (the content version); an
UPDATE per read would be a second round trip to the database on every
page, most of the page's time under load. Each process keeps the reads it
served and adds them with F() (so processes never overwrite each other's
counts) every `TISKI_HELPCENTRE_READS_BATCH` reads or
`TISKI_HELPCENTRE_READS_SECONDS` seconds, whichever comes first. A process
that stops loses at most one batch of a popularity figure.
"""

from __future__ import annotations

import threading
import time
from collections import Counter

from django.conf import settings
from django.db.models import F

from .models import Article

_lock = threading.Lock()
_pending: Counter[int] = Counter()
_started = time.monotonic()


def note(article_id: int) -> None:
    """One read of the article; written when the batch is full or old enough."""
    global _started
    batch_size = getattr(settings, "TISKI_HELPCENTRE_READS_BATCH", 25)
    max_age = getattr(settings, "TISKI_HELPCENTRE_READS_SECONDS", 30)
    with _lock:
        _pending[article_id] += 1
        if _pending.total() < batch_size and time.monotonic() - _started < max_age:
            return
        batch = dict(_pending)
        _pending.clear()
        _started = time.monotonic()
    _write(batch)


def flush() -> None:
    """Write every read kept so far (tests, and a process that wants its counts in)."""
    global _started
    with _lock:
        batch = dict(_pending)
        _pending.clear()
        _started = time.monotonic()
    _write(batch)


def discard() -> None:
    """Forget the reads kept so far (tests roll their database back)."""
    with _lock:
        _pending.clear()


def _write(batch: dict[int, int]) -> None:
    # In id order, so two processes flushing at once take row locks alike.
    for article_id, reads in sorted(batch.items()):
        Article.objects.filter(pk=article_id).update(views=F("views") + reads)
