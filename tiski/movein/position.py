"""Where a live import got to: saved after each page of tickets is written.

The saved position only moves while every ticket of the run came in: after
a ticket failed, the next run reads again from the page before it (re-runs
update, so reading a page twice duplicates nothing) and tries it again.
"""

from __future__ import annotations

from collections.abc import Callable

from .models import ExportPosition


class Position:
    def __init__(self, source: str, account: str, *, start: str | None = None) -> None:
        self.source = source
        self.account = account
        # Given (--since, --restart): read from there instead of the saved position.
        self.start = start
        self.hold: Callable[[], bool] = lambda: False
        self.saved: str | None = None

    def load(self) -> str | None:
        if self.start is not None:
            return self.start
        row = ExportPosition.objects.filter(source=self.source, account=self.account).first()
        return row.position if row else None

    def save(self, value: str) -> None:
        if not value or self.hold():
            return
        ExportPosition.objects.update_or_create(
            source=self.source, account=self.account, defaults={"position": value}
        )
        self.saved = value
