"""A long import's catch-up, run by a second process while the import goes on.

Under `changes.deferred` the bulk ticket handlers (SLA clocks, the search
index, the report facts) wait for `catch_up`, which ran in the importer
after its last batch: a third of a large import's time, on one core, with
the parse workers idle. Here a second process takes each batch's tickets
as soon as the batch commits and catches them up while the importer goes
on to the next one.

Why this stays correct: the bulk handlers recompute a ticket from what is
committed, not from the change, so a ticket caught up after one batch and
touched again by a later one is simply caught up again, after that batch
commits; the last word on every ticket is given after its last change.
Both sides lock tickets in id order, so they wait for each other at worst.

Only on PostgreSQL (SQLite lets one writer in at a time) and only where the
importer's own writes are committed per batch, which a caller's open
transaction would prevent. If the process fails, `finish` says so and the
caller catches up every ticket itself, as before.

Made before the importer connects or starts a thread, the process is forked
and starts with Django set up; otherwise (a test, a caller with a
connection) it is spawned and sets Django up itself (`start_method`).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from collections.abc import Iterable
from multiprocessing.queues import SimpleQueue
from types import TracebackType

from django.db import connection, connections

log = logging.getLogger(__name__)


def usable() -> bool:
    """Whether a second process can catch up what this one commits."""
    return connection.vendor == "postgresql" and not connection.in_atomic_block


def start_method() -> str:
    """Fork while this process has one thread and no database connection
    (the start of a command): the child then begins with Django set up, where
    a spawned one spends over a second of CPU importing it again, beside the
    import's first batch. Later, a fork would share the open connection (and
    copy locks other threads hold), so the process is spawned."""
    if (
        "fork" in multiprocessing.get_all_start_methods()
        and threading.active_count() == 1
        and all(conn.connection is None for conn in connections.all(initialized_only=True))
    ):
        return "fork"
    return "spawn"


class CatchUpProcess:
    """``submit`` the tickets of each committed batch; ``finish`` waits for them."""

    def __init__(self) -> None:
        method = start_method()
        context = multiprocessing.get_context(method)
        self.method = method
        self._queue: SimpleQueue = context.SimpleQueue()
        self._process = context.Process(
            target=_serve,
            args=(
                os.environ.get("DJANGO_SETTINGS_MODULE", "tiski.settings"),
                connection.alias,
                # The database this process uses now (a test run's own one).
                connection.settings_dict["NAME"],
                self._queue,
            ),
            name="tiski-catch-up",
            daemon=True,
        )
        self._process.start()
        self._finished: bool | None = None

    def submit(self, ticket_ids: Iterable[int]) -> None:
        ids = sorted(ticket_ids)
        # Nothing for a process that has ended: its pipe would fill and block
        # the import (`finish` then says it failed, and the caller catches up).
        if ids and self._finished is None and self._process.is_alive():
            self._queue.put(ids)

    def finish(self) -> bool:
        """Wait until every ticket handed over is caught up; False if the
        process failed (the caller then catches them all up itself)."""
        if self._finished is None:
            if self._process.is_alive():
                self._queue.put(None)
            self._process.join()
            self._finished = self._process.exitcode == 0
            if not self._finished:
                log.error("the catch-up process ended with code %s", self._process.exitcode)
        return self._finished

    def __enter__(self) -> CatchUpProcess:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        # After a failed import too: what its committed batches changed is caught up.
        self.finish()


def _serve(settings_module: str, alias: str, database: str, queue: SimpleQueue) -> None:
    from django.apps import apps

    if not apps.ready:  # spawned: a new interpreter
        os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
        import django

        django.setup()

    from tiski.tickets import changes

    own = connections[alias]
    own.settings_dict["NAME"] = database
    # One connection for the process's life: no pool to wait on. Connected
    # now, so a database it cannot reach ends it at once (the importer then
    # catches up itself) instead of failing every handler quietly.
    own.settings_dict.get("OPTIONS", {}).pop("pool", None)
    own.ensure_connection()
    stop = False
    while not stop:
        item = queue.get()
        if item is None:
            break
        ids = set(item)
        # Batches that came in meanwhile go in the same round: a ticket
        # touched by several of them is caught up once.
        while not queue.empty():
            more = queue.get()
            if more is None:
                stop = True
                break
            ids.update(more)
        changes.catch_up(ids)
    connections.close_all()
