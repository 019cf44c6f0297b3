"""Parsing mail in worker processes while the importer writes to the database.

Parsing is pure CPU work (MIME walking, charset detection, sanitising) and
takes about as long as storing a message, so an import of a whole shared
inbox parses the next batch in another process while this one stores the
current batch. The workers also prepare each mail (`prepare`: quotes
folded, HTML sanitised, the preview, the language guess), the rest of the
pure work a customer message needs. Results come back in order. A parse
failure comes back as the exception, to be handled where parsing would
have happened (the message is quarantined, the import goes on); a mail
that fails to prepare comes back parsed only, and the intake prepares it
where it would have, failing (or not) as it would have.

This module imports nothing from Django, so a worker started with "spawn"
(where fork is not available) can load it without settings.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from multiprocessing.pool import AsyncResult, Pool

from tiski.core import collector

from .parse import ParsedEmail, parse_email
from .prepare import PreparedEmail, prepare

ParseOutcome = PreparedEmail | ParsedEmail | BaseException | None


def _parse_or_error(raw: bytes | None) -> ParseOutcome:
    if raw is None:
        return None
    try:
        parsed = parse_email(raw)
    except Exception as exc:  # noqa: BLE001 - returned, and raised again by the caller
        return exc
    try:
        return prepare(parsed)
    except Exception:  # noqa: BLE001 - a bounce never needs it; intake decides
        return parsed


def default_workers() -> int:
    """One per core but one, at most four: a core stays with the importer
    and the database (bench/ingest.py measures the choice)."""
    return max(0, min(4, (os.cpu_count() or 1) - 1))


class ParsePool:
    """An ordered parse-ahead of whole batches; ``workers=0`` parses inline.

    ``submit`` starts a batch and returns a handle; ``results`` waits for it.
    Only what was submitted is in flight, so memory stays at a batch or two
    whatever the size of the mailbox being imported.
    """

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool: Pool | None = None
        if workers > 0:
            # Not "fork": a forked worker would inherit the importer's open
            # database connection (and its transaction). A fork server is a
            # clean process that imports only this module, then forks workers.
            methods = multiprocessing.get_all_start_methods()
            context = multiprocessing.get_context(
                "forkserver" if "forkserver" in methods else "spawn"
            )
            if "forkserver" in methods:
                context.set_forkserver_preload([__name__])
            # A worker lives for the import: its collector as the importer's.
            self._pool = context.Pool(workers, initializer=collector.settle)

    def submit(self, raws: Sequence[bytes | None]) -> AsyncResult | Sequence[bytes | None]:
        if self._pool is None:
            return raws
        # Chunks of a few messages: fewer hand-offs, still spread over workers.
        chunk = max(1, len(raws) // (self.workers * 4) or 1)
        return self._pool.map_async(_parse_or_error, raws, chunksize=chunk)

    def results(self, handle: AsyncResult | Sequence[bytes | None]) -> list[ParseOutcome]:
        if isinstance(handle, AsyncResult):
            return handle.get()
        # Inline: leave parsing to the intake, exactly as for any other source.
        return [None] * len(handle)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool.join()
            self._pool = None

    def __enter__(self) -> ParsePool:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None and exc[0] is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None
        self.close()
