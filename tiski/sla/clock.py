"""The SLA clocks of one ticket, as a pure function.

Given what happened to a ticket (when it was created, when the customer
wrote, when agents replied publicly, how its status moved) and a policy's
targets, work out every target's start, deadline, achievement and breach.
No database access: the service layer gathers the facts, this module
decides, and tests can cover daylight-saving weekends and holidays
without fixtures.

Targets:
- first reply: from creation to the first public reply;
- next reply: from the first customer message after a public reply to the
  next public reply (one clock per such exchange);
- resolution: from creation to solving.
Every clock stands still while the ticket is pending or on hold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from tiski.calendars import BusinessCalendar, deadline

TargetKind = Literal["first_reply", "next_reply", "resolution"]
PAUSING_STATUSES = frozenset({"pending", "on_hold"})
SOLVED_STATUSES = frozenset({"solved", "closed"})


@dataclass(frozen=True)
class Targets:
    first_reply: timedelta | None = None
    next_reply: timedelta | None = None
    resolution: timedelta | None = None


@dataclass(frozen=True)
class TicketHistory:
    created_at: datetime
    # (when, new status), in time order, the first being the initial status
    statuses: Sequence[tuple[datetime, str]]
    customer_messages: Sequence[datetime]
    public_replies: Sequence[datetime]


@dataclass(frozen=True)
class TargetClock:
    kind: TargetKind
    started_at: datetime
    due_at: datetime | None  # None: paused right now, no deadline runs
    achieved_at: datetime | None
    target: timedelta = timedelta(0)

    def breached(self, now: datetime) -> bool:
        if self.achieved_at is not None:
            return self.due_at is not None and self.achieved_at > self.due_at
        return self.due_at is not None and now > self.due_at

    @property
    def running(self) -> bool:
        return self.achieved_at is None


def pauses(history: TicketHistory) -> list[tuple[datetime, datetime | None]]:
    """The intervals the ticket spent pending or on hold (the last may be open)."""
    result: list[tuple[datetime, datetime | None]] = []
    paused_since: datetime | None = None
    for at, status in history.statuses:
        if status in PAUSING_STATUSES and paused_since is None:
            paused_since = at
        elif status not in PAUSING_STATUSES and paused_since is not None:
            result.append((paused_since, at))
            paused_since = None
    if paused_since is not None:
        result.append((paused_since, None))
    return result


def solved_at(history: TicketHistory) -> datetime | None:
    """When the ticket was solved, if it is solved now."""
    if not history.statuses or history.statuses[-1][1] not in SOLVED_STATUSES:
        return None
    moment = None
    for at, status in reversed(history.statuses):
        if status not in SOLVED_STATUSES:
            break
        moment = at
    return moment


def _first_after(times: Sequence[datetime], moment: datetime) -> datetime | None:
    return next((t for t in sorted(times) if t > moment), None)


def compute_clocks(
    history: TicketHistory, targets: Targets, calendar: BusinessCalendar
) -> list[TargetClock]:
    paused = pauses(history)
    clocks: list[TargetClock] = []

    def clock(
        kind: TargetKind, start: datetime, target: timedelta, achieved: datetime | None
    ) -> TargetClock:
        # Pauses after the achievement do not matter; an open pause only
        # stops a clock that is still running.
        relevant = [(s, e) for s, e in paused if achieved is None or s < achieved]
        if achieved is not None:
            relevant = [(s, e if e is not None else achieved) for s, e in relevant]
        return TargetClock(kind, start, deadline(start, target, calendar, relevant), achieved,
                           target)

    replies = sorted(history.public_replies)
    if targets.first_reply is not None:
        first = replies[0] if replies else None
        clocks.append(clock("first_reply", history.created_at, targets.first_reply, first))

    if targets.next_reply is not None and replies:
        # Each customer message that follows a public reply opens an
        # exchange; the next public reply closes it.
        reply_floor = replies[0]
        while True:
            start = _first_after(history.customer_messages, reply_floor)
            if start is None:
                break
            achieved = _first_after(replies, start)
            clocks.append(clock("next_reply", start, targets.next_reply, achieved))
            if achieved is None:
                break
            reply_floor = achieved

    if targets.resolution is not None:
        clocks.append(
            clock("resolution", history.created_at, targets.resolution, solved_at(history))
        )
    return clocks


def next_deadline(clocks: Sequence[TargetClock]) -> TargetClock | None:
    """The running clock whose deadline comes first."""
    running = [c for c in clocks if c.running and c.due_at is not None]
    return min(running, key=lambda c: c.due_at) if running else None
