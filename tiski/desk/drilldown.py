"""Report drill-downs: narrowing a ticket list to exactly what a figure counted.

A report number links to the inbox with the view and filters it counted
plus the report parameters of ``inbox.REPORT_KEYS``, which
``inbox.report_filter`` applies from the facts (created, solved and
reopened ranges, the heatmap's weekday and hour, ...). Instants carry their
offset (``2026-12-03T00:00:00+02:00``). This module adds what only the live
overview links to, the SLA state now, and says in words what the list is
narrowed to:

- ``sla=breached``: unsolved and past the next SLA deadline now;
  ``sla=warning``: unsolved, not yet past it, but past its warning time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format, time_format
from django.utils.translation import gettext as _

from tiski.tickets.models import NO_DEADLINE, UNSOLVED, Ticket

SLA_STATES = ("breached", "warning")


def instant(value: str | None) -> datetime | None:
    """A drill-down instant: ISO 8601 with its offset, else None."""
    if not value:
        return None
    try:
        parsed = parse_datetime(value.replace(" ", "+"))  # a "+" arrives as a space
    except ValueError:
        return None
    if parsed is None or timezone.is_naive(parsed):
        return None
    return parsed


def _number(value: str | None, low: int, high: int) -> int | None:
    if value is None or not value.isdigit():
        return None
    number = int(value)
    return number if low <= number <= high else None


@dataclass(frozen=True)
class Drilldown:
    # Read for the words above the list only; inbox.report_filter filters by them.
    created_from: datetime | None = None
    created_to: datetime | None = None
    solved_from: datetime | None = None
    solved_to: datetime | None = None
    created_weekday: int | None = None
    created_hour: int | None = None
    sla: str = ""

    @classmethod
    def from_query(cls, query: QueryDict) -> Drilldown:
        sla = query.get("sla", "")
        return cls(
            created_from=instant(query.get("created_from")),
            created_to=instant(query.get("created_to")),
            solved_from=instant(query.get("solved_from")),
            solved_to=instant(query.get("solved_to")),
            created_weekday=_number(query.get("created_weekday"), 1, 7),
            created_hour=_number(query.get("created_hour"), 0, 23),
            sla=sla if sla in SLA_STATES else "",
        )

    @property
    def active(self) -> bool:
        return bool(self.labels())

    def apply(self, qs: QuerySet[Ticket], now: datetime | None = None) -> QuerySet[Ticket]:
        now = now or timezone.now()
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
        if self.created_weekday is not None:
            out.append(_("on %(weekday)s") % {"weekday": _weekday(self.created_weekday)})
        if self.created_hour is not None:
            start, end = time(self.created_hour), time((self.created_hour + 1) % 24)
            out.append(
                _("between %(start)s and %(end)s")
                % {"start": time_format(start), "end": time_format(end)}
            )
        if self.solved_from or self.solved_to:
            period = _range(self.solved_from, self.solved_to)
            out.append(_("solved %(range)s") % {"range": period})
        if self.sla == "breached":
            out.append(_("past the SLA deadline now"))
        elif self.sla == "warning":
            out.append(_("near the SLA deadline now"))
        return out

    def as_query(self) -> dict[str, str]:
        """What the filter form must carry besides the report parameters."""
        return {"sla": self.sla} if self.sla else {}


def _weekday(number: int) -> str:
    from django.utils.dates import WEEKDAYS

    return str(WEEKDAYS[number - 1])  # ISO 1 = Monday = WEEKDAYS[0]


def _range(start: datetime | None, end: datetime | None) -> str:
    def fmt(value: datetime) -> str:
        return date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")

    if start and end:
        return f"{fmt(start)} – {fmt(end)}"
    if start:
        return _("from %(when)s") % {"when": fmt(start)}
    return _("before %(when)s") % {"when": fmt(end)}
