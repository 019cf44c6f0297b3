"""`tiski reindex`: rebuild the ticket search index in batches."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import connection

from tiski.search import indexing


class Command(BaseCommand):
    help = "Rebuild the search index of all tickets (or only of tickets missing from it)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--missing",
            action="store_true",
            help="Only index tickets that have no index entry (repairs lost tasks).",
        )
        parser.add_argument(
            "--clear",
            action="store_true",
            help="Empty the index first (search finds nothing until the rebuild ends).",
        )
        parser.add_argument("--batch-size", type=int, default=5000)

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        if options["clear"]:
            indexing.clear()

        def progress(done: int, total: int) -> None:
            elapsed = max(time.monotonic() - started, 1e-6)
            self.stdout.write(
                f"indexed {done}/{total} tickets ({100 * done // max(total, 1)} %, "
                f"{done / elapsed:.0f}/s)"
            )

        done = indexing.rebuild(
            batch_size=max(1, options["batch_size"]),
            missing_only=options["missing"],
            progress=progress,
        )
        if done and connection.vendor == "postgresql":
            # Fresh statistics, or the planner guesses a rare word is common
            # and walks every ticket instead of asking the GIN index.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE search_searchdocument")
        self.stdout.write(
            self.style.SUCCESS(
                f"search index: {done} tickets in {time.monotonic() - started:.1f} s"
            )
        )
