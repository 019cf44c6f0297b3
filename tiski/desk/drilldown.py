"""Report drill-downs: narrowing a ticket list to exactly what a figure counted.

A report number links to the inbox with the view and filters it counted
plus the parameters below, so the list shows the same tickets (through
``visible_to``, like every list). Instants carry their offset
(``2026-12-03T00:00:00+02:00``).

- ``created_from`` / ``created_to``: ``created_at`` in [from, to);
- ``solved_from`` / ``solved_to``: solved or closed now, last solved in [from, to);
- with either range, tickets merged into another are left out, as in the reports;
- ``sla=breached``: unsolved and past the next SLA deadline now;
  ``sla=warning``: unsolved, not yet past it, but past its warning time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, OuterRef, QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from tiski.tickets.models import NO_DEADLINE, UNSOLVED, Status, Ticket, TicketMerge

SLA_STATES = ("breached", "warning")


def _instant(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parse_datetime(value.replace(" ", "+"))  # a "+" arrives as a space
    except ValueError:
        return None
    if parsed is None or timezone.is_naive(parsed):
        return None
    return parsed


@dataclass(frozen=True)
class Drilldown:
    created_from: datetime | None = None
    created_to: datetime | None = None
    solved_from: datetime | None = None
    solved_to: datetime | None = None
    sla: str = ""

    @classmethod
    def from_query(cls, query: QueryDict) -> Drilldown:
        sla = query.get("sla", "")
        return cls(
            created_from=_instant(query.get("created_from")),
            created_to=_instant(query.get("created_to")),
            solved_from=_instant(query.get("solved_from")),
            solved_to=_instant(query.get("solved_to")),
            sla=sla if sla in SLA_STATES else "",
        )

    @property
    def active(self) -> bool:
        return bool(
            self.created_from or self.created_to or self.solved_from or self.solved_to or self.sla
        )

    def apply(self, qs: QuerySet[Ticket], now: datetime | None = None) -> QuerySet[Ticket]:
        now = now or timezone.now()
        if self.created_from or self.created_to or self.solved_from or self.solved_to:
            # Report figures leave out tickets merged into another.
            qs = qs.exclude(
                Exists(TicketMerge.objects.filter(source_id=OuterRef("pk"), undone_at__isnull=True))
            )
        if self.created_from:
            qs = qs.filter(created_at__gte=self.created_from)
        if self.created_to:
            qs = qs.filter(created_at__lt=self.created_to)
        if self.solved_from or self.solved_to:
            qs = qs.filter(status__in=(Status.SOLVED, Status.CLOSED))
        if self.solved_from:
            # A ticket solved then was updated then too: lets the status index serve it.
            qs = qs.filter(solved_at__gte=self.solved_from, updated_at__gte=self.solved_from)
        if self.solved_to:
            qs = qs.filter(solved_at__lt=self.solved_to)
        if self.sla == "breached":
            qs = qs.filter(UNSOLVED, queue_due_at__lt=now)
        elif self.sla == "warning":
            qs = qs.filter(
                UNSOLVED,
                queue_due_at__gte=now,
                queue_due_at__lt=NO_DEADLINE,
                sla_warn_at__lte=now,
            )
        return qs

    def labels(self) -> list[str]:
        """What the list is narrowed to, in words, for the line above it."""
        out = []
        if self.created_from or self.created_to:
            period = _range(self.created_from, self.created_to)
            out.append(_("created %(range)s") % {"range": period})
        if self.solved_from or self.solved_to:
            period = _range(self.solved_from, self.solved_to)
            out.append(_("solved %(range)s") % {"range": period})
        if self.sla == "breached":
            out.append(_("past the SLA deadline now"))
        elif self.sla == "warning":
            out.append(_("near the SLA deadline now"))
        return out

    def as_query(self) -> dict[str, str]:
        params = {
            key: getattr(self, key).isoformat()
            for key in ("created_from", "created_to", "solved_from", "solved_to")
            if getattr(self, key)
        }
        if self.sla:
            params["sla"] = self.sla
        return params


def _range(start: datetime | None, end: datetime | None) -> str:
    def fmt(value: datetime) -> str:
        return date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")

    if start and end:
        return f"{fmt(start)} – {fmt(end)}"
    if start:
        return _("from %(when)s") % {"when": fmt(start)}
    return _("before %(when)s") % {"when": fmt(end)}
