"""Business hours, SLA deadlines and the customer-facing "we will answer by" text.

Everything here is a pure function of its arguments: no database, no Django
settings, no OS locale. Instants go in as timezone-aware datetimes (any zone)
and come out as aware UTC datetimes, because the SLA engine stores and
compares UTC instants only.

How a calendar turns into instants
----------------------------------
Opening hours are wall-clock times in the calendar's zone. For every local
date we look up that day's intervals (manual open date > manual closed date
> public holiday > weekly hours) and convert each edge to UTC separately.
An interval therefore has its *real* elapsed length: a 24/7 day is 23 hours
long on the spring-forward Sunday and 25 hours on the fall-back Sunday.

Local times that DST makes odd are resolved like this:

* ambiguous (the repeated hour in autumn): ``fold=0``, the first occurrence.
  So "03:00-05:00" on the fall-back night covers the repeated hour twice and
  lasts 3 real hours, which is what a person on shift actually works.
* non-existent (the skipped hour in spring): the instant the clocks jump.
  Plain ``fold=0`` would push 03:30 to 04:30 local, which can make an
  interval end after the next one starts; clamping to the jump keeps the
  wall-clock-to-UTC mapping monotonic, so intervals never overlap or turn
  inside out. "02:00-03:30" on that night simply lasts one real hour.

Midnight: an interval *ending* at ``time(0, 0)`` (exported as `END_OF_DAY`)
means "until the end of the day", i.e. 24:00. ``(time(0), time(0))`` is the
whole day, and a shift past midnight is written as two intervals on two days.
Intervals are half-open: open at the start instant, closed at the end one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import pairwise
from types import MappingProxyType
from typing import Any, Final, Literal
from zoneinfo import ZoneInfo

import holidays

Interval = tuple[time, time]
"""An open interval of one local day: (start, end), end ``time(0)`` = 24:00."""

SlaState = Literal["on_track", "warning", "breached"]

END_OF_DAY: Final[time] = time(0, 0)

# How long forward we look for the next open moment before deciding the
# calendar is never open. Three years covers any sane run of closures
# (holidays, a long summer shutdown) while still failing fast on an empty
# calendar instead of looping forever.
SEARCH_LIMIT_DAYS: Final[int] = 3 * 366

_DAY: Final = timedelta(days=1)
_ZERO: Final = timedelta(0)
_MICROSECOND: Final = timedelta(microseconds=1)


def _default_weekly() -> Mapping[int, tuple[Interval, ...]]:
    return {weekday: ((time(8), time(16)),) for weekday in range(5)}


@lru_cache(maxsize=512)
def _holiday_dates(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    """Public holidays of one year; cached because every day lookup needs it."""
    try:
        found = holidays.country_holidays(country, subdiv=subdivision, years=year)
    except NotImplementedError as exc:  # the package's way of saying "unknown code"
        raise ValueError(str(exc)) from exc
    return frozenset(found.keys())


def _as_utc(moment: datetime, what: str) -> datetime:
    # A naive datetime is a bug upstream (which zone was meant?), never guess.
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got {moment!r}")
    return moment.astimezone(UTC)


def _offset_from_midnight(clock: time) -> timedelta:
    return timedelta(
        hours=clock.hour,
        minutes=clock.minute,
        seconds=clock.second,
        microseconds=clock.microsecond,
    )


def _end_offset(clock: time) -> timedelta:
    # Only as an end does midnight mean 24:00.
    return _DAY if clock == END_OF_DAY else _offset_from_midnight(clock)


def _normalise(intervals: Iterable[Sequence[time]], where: str) -> tuple[Interval, ...]:
    """Validate one day's intervals and return them sorted as a tuple."""
    cleaned: list[Interval] = []
    for pair in intervals:
        if len(pair) != 2:
            raise ValueError(f"{where}: an interval is (start, end), got {pair!r}")
        start, end = pair
        for clock in (start, end):
            if not isinstance(clock, time) or clock.tzinfo is not None:
                raise ValueError(f"{where}: interval edges are naive datetime.time, got {clock!r}")
        if _end_offset(end) <= _offset_from_midnight(start):
            raise ValueError(f"{where}: interval {start}-{end} is empty or reversed")
        # fold has no meaning for wall-clock hours; normalising it keeps equality sane.
        cleaned.append((start.replace(fold=0), end.replace(fold=0)))
    cleaned.sort(key=lambda interval: _offset_from_midnight(interval[0]))
    for (_, previous_end), (next_start, _) in pairwise(cleaned):
        if _offset_from_midnight(next_start) < _end_offset(previous_end):
            raise ValueError(f"{where}: intervals overlap")
    return tuple(cleaned)


def _skipped_wall_time_to_utc(wall: datetime, zone: ZoneInfo) -> datetime:
    """The instant the clocks jumped over `wall`, which does not exist locally.

    For a wall time in a gap, fold=1 maps it with the later offset (an instant
    before the jump) and fold=0 with the earlier offset (an instant at or after
    it). Bisect between the two for the first instant with the new offset; a
    gap is hours long at most, so this takes ~32 steps and runs only for the
    rare interval edge that falls into a skipped hour.
    """
    low = wall.replace(fold=1).astimezone(UTC)
    high = wall.replace(fold=0).astimezone(UTC)
    new_offset = high.astimezone(zone).utcoffset()
    while high - low > _MICROSECOND:
        middle = low + (high - low) / 2
        if middle.astimezone(zone).utcoffset() == new_offset:
            high = middle
        else:
            low = middle
    return high


def _wall_to_utc(day: date, clock: time, zone: ZoneInfo) -> datetime:
    wall = datetime.combine(day, clock, tzinfo=zone).replace(fold=0)
    instant = wall.astimezone(UTC)
    # A round trip that lands on another wall time means `wall` was skipped.
    if instant.astimezone(zone).replace(tzinfo=None) != wall.replace(tzinfo=None):
        return _skipped_wall_time_to_utc(wall, zone)
    return instant


# Days of open spans a calendar remembers (see `BusinessCalendar._spans_on`).
_SPANS_KEPT = 4096


@dataclass(frozen=True, kw_only=True)
class BusinessCalendar:
    """When a service desk is open.

    `weekly` maps weekday (0 = Monday) to that day's open intervals in local
    wall-clock time; several intervals make split shifts. `closed_dates` adds
    closed days, `open_dates` replaces a date's hours outright (an empty tuple
    closes it) and wins over weekly hours and public holidays. A date may not
    be in both. Public holidays come from the `holidays` package for
    `country`/`subdivision`; ``country=None`` means no public holidays.

    Finnish note: the package lists Juhannusaatto (Midsummer Eve) and
    Jouluaatto (Christmas Eve) as FI holidays, so they are closed by default;
    a desk that works on them adds the date to `open_dates`.

    Equality compares all fields; the hash uses only the hashable ones, so a
    calendar can key a cache.
    """

    time_zone: str = "Europe/Helsinki"
    weekly: Mapping[int, tuple[Interval, ...]] = field(default_factory=_default_weekly, hash=False)
    country: str | None = "FI"
    subdivision: str | None = None
    closed_dates: frozenset[date] = frozenset()
    open_dates: Mapping[date, tuple[Interval, ...]] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        # Fail at construction, not at the first deadline computed hours later.
        ZoneInfo(self.time_zone)
        weekly: dict[int, tuple[Interval, ...]] = {}
        for weekday, intervals in self.weekly.items():
            if weekday not in range(7):
                raise ValueError(f"weekday must be 0 (Monday) .. 6 (Sunday), got {weekday!r}")
            weekly[weekday] = _normalise(intervals, f"weekday {weekday}")
        closed = frozenset(self.closed_dates)
        opened: dict[date, tuple[Interval, ...]] = {}
        for day, intervals in self.open_dates.items():
            opened[day] = _normalise(intervals, f"open date {day}")
        for day in closed | opened.keys():
            # datetime is a date subclass but hashes differently: it would never match.
            if isinstance(day, datetime) or not isinstance(day, date):
                raise ValueError(f"exception dates must be datetime.date, got {day!r}")
        if conflicting := closed & opened.keys():
            raise ValueError(f"dates both closed and open: {sorted(conflicting)}")
        if self.country is None and self.subdivision is not None:
            raise ValueError("a subdivision needs a country")
        if self.country is not None:
            _holiday_dates(self.country, self.subdivision, 2000)  # rejects unknown codes
        # Read-only views so the frozen calendar cannot be changed through its mappings.
        object.__setattr__(self, "weekly", MappingProxyType(weekly))
        object.__setattr__(self, "closed_dates", closed)
        object.__setattr__(self, "open_dates", MappingProxyType(opened))
        # A day's open spans depend on the (frozen) calendar and the day
        # alone; a deadline walks the same days for ticket after ticket (a
        # catch-up over an import refreshes thousands), so each is worked
        # out once per calendar. Not a field: equality and hash ignore it.
        object.__setattr__(self, "_spans", {})

    @classmethod
    def office_hours(
        cls,
        start: time = time(8),
        end: time = time(16),
        days: Iterable[int] = range(5),
        **kw: Any,
    ) -> BusinessCalendar:
        """The same single interval on each of `days` (default Monday to Friday)."""
        return cls(weekly={weekday: ((start, end),) for weekday in days}, **kw)

    @classmethod
    def always_open(cls, **kw: Any) -> BusinessCalendar:
        """Open 24/7 with no public holidays (pass `country` to add them back)."""
        kw.setdefault("country", None)
        return cls(weekly={weekday: ((time(0), END_OF_DAY),) for weekday in range(7)}, **kw)

    # -- day-level lookups ------------------------------------------------------------

    def is_holiday(self, day: date) -> bool:
        """Whether `day` is a public holiday for this calendar's country."""
        if self.country is None:
            return False
        return day in _holiday_dates(self.country, self.subdivision, day.year)

    def hours_on(self, day: date) -> tuple[Interval, ...]:
        """The local open intervals of `day`, after all exceptions are applied."""
        if day in self.open_dates:
            return self.open_dates[day]
        if day in self.closed_dates or self.is_holiday(day):
            return ()
        return self.weekly.get(day.weekday(), ())

    def _spans_on(self, day: date, zone: ZoneInfo) -> tuple[tuple[datetime, datetime], ...]:
        """`day`'s open intervals as UTC instants, in order, never overlapping."""
        # The zone is always ZoneInfo(self.time_zone), so the day is the key.
        memo: dict[date, tuple[tuple[datetime, datetime], ...]] = self._spans  # type: ignore[attr-defined]
        known = memo.get(day)
        if known is None:
            if len(memo) >= _SPANS_KEPT:
                memo.clear()  # a calendar kept for years of lookups stays small
            known = memo[day] = tuple(self._work_out_spans(day, zone))
        return known

    def _work_out_spans(self, day: date, zone: ZoneInfo) -> list[tuple[datetime, datetime]]:
        spans: list[tuple[datetime, datetime]] = []
        for start, end in self.hours_on(day):
            span_start = _wall_to_utc(day, start, zone)
            if end == END_OF_DAY:
                span_end = _wall_to_utc(day + _DAY, END_OF_DAY, zone)
            else:
                span_end = _wall_to_utc(day, end, zone)
            # An interval lying wholly inside a skipped hour collapses to nothing.
            if span_end > span_start:
                spans.append((span_start, span_end))
        return spans

    def _open_spans_after(self, at: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Open time from `at` (UTC) onwards as (start, end) spans, clipped at `at`.

        Spans of consecutive days may touch (a 24/7 calendar): consumers treat
        them as one stretch. Raises ValueError after SEARCH_LIMIT_DAYS closed
        days in a row so that an all-closed calendar cannot loop forever.
        """
        zone = ZoneInfo(self.time_zone)
        # Intervals of earlier local days end by this day's midnight, i.e. by `at`.
        day = at.astimezone(zone).date()
        closed_run = 0
        while True:
            found = False
            for start, end in self._spans_on(day, zone):
                if end > at:
                    found = True
                    yield max(start, at), end
            closed_run = 0 if found else closed_run + 1
            if closed_run > SEARCH_LIMIT_DAYS:
                raise ValueError(
                    f"calendar has no open time from {day - closed_run * _DAY + _DAY}"
                    f" to {day} ({SEARCH_LIMIT_DAYS} days searched)"
                )
            day += _DAY

    # -- public arithmetic ------------------------------------------------------------

    def is_open(self, at: datetime) -> bool:
        """Whether the desk is open at instant `at` (open at a start, closed at an end)."""
        at = _as_utc(at, "at")
        zone = ZoneInfo(self.time_zone)
        day = at.astimezone(zone).date()
        return any(start <= at < end for start, end in self._spans_on(day, zone))

    def next_opening(self, at: datetime) -> datetime:
        """`at` itself (in UTC) if open, else the next instant the desk opens."""
        at = _as_utc(at, "at")
        start, _ = next(self._open_spans_after(at))
        return start

    def add_business_time(self, start: datetime, duration: timedelta) -> datetime:
        """The instant at which `duration` of open time has elapsed after `start`.

        The clock starts at the next opening if `start` is in closed time. The
        result can be the end of an interval ("by 16:00"), never a later
        opening, except for a zero duration, which gives the next opening:
        that is when a clock that has not started yet would start.
        """
        start = _as_utc(start, "start")
        if duration < _ZERO:
            raise ValueError(f"duration must not be negative, got {duration}")
        remaining = duration
        for span_start, span_end in self._open_spans_after(start):
            available = span_end - span_start
            if remaining <= available:
                return span_start + remaining
            remaining -= available
        raise AssertionError("unreachable: _open_spans_after never stops")  # pragma: no cover

    def business_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Open time elapsed from `start` to `end`; negative if `end` is earlier.

        The sign keeps `between(a, b) == -between(b, a)`, which report code
        summing differences relies on; a closed calendar simply gives zero.
        """
        start = _as_utc(start, "start")
        end = _as_utc(end, "end")
        if end < start:
            return -self.business_time_between(end, start)
        zone = ZoneInfo(self.time_zone)
        total = _ZERO
        day = start.astimezone(zone).date()
        last_day = end.astimezone(zone).date()
        while day <= last_day:
            for span_start, span_end in self._spans_on(day, zone):
                overlap = min(span_end, end) - max(span_start, start)
                if overlap > _ZERO:
                    total += overlap
            day += _DAY
        return total


def deadline(
    start: datetime,
    target: timedelta,
    calendar: BusinessCalendar,
    paused: Sequence[tuple[datetime, datetime | None]] = (),
) -> datetime | None:
    """When `target` of business time has run since `start`, not counting pauses.

    `paused` holds (from, until) intervals during which the SLA clock stood
    still (ticket pending or on hold); they may overlap, come in any order or
    begin before `start`. ``until=None`` means the clock is still paused: the
    result is then None ("no deadline while paused") -- unless the target was
    already used up before that pause began, in which case the deadline that
    passed is returned, because a breach is not undone by pausing afterwards.
    """
    cursor = _as_utc(start, "start")
    if target < _ZERO:
        raise ValueError(f"target must not be negative, got {target}")
    pauses: list[tuple[datetime, datetime | None]] = []
    for pause_start, pause_end in paused:
        begins = _as_utc(pause_start, "pause start")
        ends = None if pause_end is None else _as_utc(pause_end, "pause end")
        if ends is not None and ends < begins:
            raise ValueError(f"pause ends before it starts: {pause_start} .. {pause_end}")
        pauses.append((begins, ends))
    pauses.sort(key=lambda pause: pause[0])

    remaining = target
    for begins, ends in pauses:
        if ends is not None and ends <= cursor:
            continue  # over before the clock got here (or swallowed by an earlier pause)
        if begins > cursor:
            due = calendar.add_business_time(cursor, remaining)
            if due <= begins:
                return due
            remaining -= calendar.business_time_between(cursor, begins)
        if ends is None:
            return None
        cursor = ends
    return calendar.add_business_time(cursor, remaining)


def sla_state(now: datetime, deadline: datetime | None, warn_before: timedelta) -> SlaState:
    """Traffic light for a deadline seen at `now`.

    The deadline instant itself is still in time, matching the promise "we
    will answer by 10:00"; "breached" starts right after it. A None deadline
    (clock paused) is on track: nothing can be late while we wait.
    """
    if warn_before < _ZERO:
        raise ValueError(f"warn_before must not be negative, got {warn_before}")
    if deadline is None:
        return "on_track"
    now = _as_utc(now, "now")
    deadline = _as_utc(deadline, "deadline")
    if now > deadline:
        return "breached"
    if deadline - now <= warn_before:
        return "warning"
    return "on_track"


# Finnish says "on Tuesday" with the essive case: "vastaamme tiistaina".
_FI_WEEKDAYS: Final = (
    "maanantaina",
    "tiistaina",
    "keskiviikkona",
    "torstaina",
    "perjantaina",
    "lauantaina",
    "sunnuntaina",
)
_EN_WEEKDAYS: Final = (
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
)
_EN_MONTHS: Final = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def format_expected_reply(
    at: datetime,
    language: str,
    tz: str,
    *,
    now: datetime | None = None,
) -> str:
    """Human wording of a reply deadline, to follow "we will answer by/vastaamme".

    Finnish: "tiistaina 25.11. klo 10.00", "tänään klo 14.30", "huomenna klo 9.00".
    English: "Tuesday 25 November at 10:00", "today at 14:30", "tomorrow at 09:00".
    The year is added when it differs from `now`'s. Any other language falls
    back to English. Names are built in, never taken from the OS locale, so
    the text does not change with the server's environment.

    A deadline with seconds is rounded *up* to the minute: "by 10:00" for a
    10:00:30 deadline would promise more than the SLA does.
    """
    zone = ZoneInfo(tz)
    local = _as_utc(at, "at").astimezone(zone)
    if local.second or local.microsecond:
        # Round in UTC then convert back, so the rounding is right even next to a DST jump.
        utc = local.astimezone(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
        local = utc.astimezone(zone)
    today = _as_utc(now or datetime.now(UTC), "now").astimezone(zone).date()
    day = local.date()
    finnish = language.lower().replace("_", "-").split("-")[0] == "fi"

    if finnish:
        clock = f"klo {local.hour}.{local.minute:02d}"
        if day == today:
            return f"tänään {clock}"
        if day == today + _DAY:
            return f"huomenna {clock}"
        year = str(day.year) if day.year != today.year else ""
        return f"{_FI_WEEKDAYS[day.weekday()]} {day.day}.{day.month}.{year} {clock}"

    clock = f"at {local.hour:02d}:{local.minute:02d}"
    if day == today:
        return f"today {clock}"
    if day == today + _DAY:
        return f"tomorrow {clock}"
    year = f" {day.year}" if day.year != today.year else ""
    return f"{_EN_WEEKDAYS[day.weekday()]} {day.day} {_EN_MONTHS[day.month - 1]}{year} {clock}"
