"""Report periods and calendar buckets, cut in the desk's time zone."""

from __future__ import annotations

import time as time_module
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tiski.core import desk

PRESETS = {
    "today": _("Today"),
    "yesterday": _("Yesterday"),
    "this_week": _("This week"),
    "last_week": _("Last week"),
    "this_month": _("This month"),
    "last_month": _("Last month"),
    "this_quarter": _("This quarter"),
    "last_quarter": _("Last quarter"),
    "this_year": _("This year"),
    "last_year": _("Last year"),
    "custom": _("Custom"),
}
BUCKETS = {
    "hour": _("Hour"),
    "day": _("Day"),
    "week": _("Week"),
    "month": _("Month"),
    "year": _("Year"),
}


_zone_cache: tuple[float, ZoneInfo] | None = None


def zone() -> ZoneInfo:
    """The desk's time zone; read at most every few seconds (a report cuts
    hundreds of buckets, and the desk's setting is a database row)."""
    global _zone_cache
    now = time_module.monotonic()
    if _zone_cache is None or now - _zone_cache[0] > 5:
        _zone_cache = (now, ZoneInfo(desk.time_zone_name()))
    return _zone_cache[1]


@dataclass(frozen=True)
class Period:
    """Local dates ``first`` .. ``last``, both included."""

    first: date
    last: date
    preset: str = "custom"

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def start(self) -> datetime:
        return local_midnight(self.first)

    @property
    def end(self) -> datetime:
        """Exclusive: local midnight after the last day."""
        return local_midnight(self.last + timedelta(days=1))

    def previous(self) -> Period:
        """The period of the same kind right before this one."""
        if self.preset in ("this_month", "last_month") or _whole_months(self):
            months = _months_between(self.first, self.last)
            first = _add_months(self.first, -months)
            return Period(first, self.first - timedelta(days=1), "custom")
        return Period(
            self.first - timedelta(days=self.days), self.first - timedelta(days=1), "custom"
        )

    def as_dict(self) -> dict[str, str]:
        return {"from": self.first.isoformat(), "to": self.last.isoformat(), "preset": self.preset}


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone())


def today() -> date:
    return timezone.now().astimezone(zone()).date()


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _months_between(first: date, last: date) -> int:
    return (last.year - first.year) * 12 + last.month - first.month + 1


def _whole_months(period: Period) -> bool:
    return period.first.day == 1 and (period.last + timedelta(days=1)).day == 1


def preset(name: str, on: date | None = None) -> Period:
    day = on or today()
    if name == "yesterday":
        y = day - timedelta(days=1)
        return Period(y, y, name)
    if name in ("this_week", "last_week"):
        monday = day - timedelta(days=day.weekday())
        if name == "last_week":
            monday -= timedelta(days=7)
        return Period(monday, monday + timedelta(days=6), name)
    if name in ("this_month", "last_month"):
        first = _add_months(day.replace(day=1), -1 if name == "last_month" else 0)
        return Period(first, _add_months(first, 1) - timedelta(days=1), name)
    if name in ("this_quarter", "last_quarter"):
        first = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
        if name == "last_quarter":
            first = _add_months(first, -3)
        return Period(first, _add_months(first, 3) - timedelta(days=1), name)
    if name in ("this_year", "last_year"):
        year = day.year - (1 if name == "last_year" else 0)
        return Period(date(year, 1, 1), date(year, 12, 31), name)
    return Period(day, day, "today")


def parse(params, default: str = "this_month") -> Period:
    """The period of a request's or a command's parameters (``period``, ``from``, ``to``)."""
    name = params.get("period") or ""
    first, last = params.get("from") or "", params.get("to") or ""
    if first or last or name == "custom":
        try:
            a = date.fromisoformat(first) if first else today()
            b = date.fromisoformat(last) if last else a
        except ValueError:
            return preset(default)
        if b < a:
            a, b = b, a
        # Guard the server: a report over more than ten years is a typo.
        b = min(b, a + timedelta(days=3660))
        return Period(a, b, "custom")
    return preset(name if name in PRESETS else default)


def default_bucket(period: Period) -> str:
    if period.days <= 2:
        return "hour"
    if period.days <= 62:
        return "day"
    if period.days <= 370:
        return "week"
    return "month"


def bucket_start(moment: datetime, bucket: str) -> datetime:
    """The local start of the bucket holding ``moment``."""
    local = moment.astimezone(zone())
    if bucket == "hour":
        return local.replace(minute=0, second=0, microsecond=0)
    day = local.date()
    if bucket == "week":
        day -= timedelta(days=day.weekday())
    elif bucket == "month":
        day = day.replace(day=1)
    elif bucket == "year":
        day = day.replace(month=1, day=1)
    return local_midnight(day)


def next_bucket(start: datetime, bucket: str) -> datetime:
    if bucket == "hour":
        # Hours in UTC steps, so the daylight-saving change has 23 or 25 of them.
        return (start.astimezone(ZoneInfo("UTC")) + timedelta(hours=1)).astimezone(zone())
    day = start.date()
    if bucket == "day":
        return local_midnight(day + timedelta(days=1))
    if bucket == "week":
        return local_midnight(day + timedelta(days=7))
    if bucket == "month":
        return local_midnight(_add_months(day, 1))
    return local_midnight(date(day.year + 1, 1, 1))


def buckets(period: Period, bucket: str) -> list[tuple[datetime, datetime]]:
    """The buckets covering the period, each (start, end), clipped to the period."""
    result = []
    start = bucket_start(period.start, bucket)
    while start < period.end:
        end = next_bucket(start, bucket)
        result.append((max(start, period.start), min(end, period.end)))
        start = end
    return result
