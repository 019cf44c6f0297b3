"""SLA clocks as pure functions: no database, real calendars."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tiski.calendars import BusinessCalendar
from tiski.sla.clock import Targets, TicketHistory, compute_clocks, next_deadline, pauses

OFFICE = BusinessCalendar.office_hours()  # Mon-Fri 8-16 Helsinki, Finnish holidays
H = timedelta(hours=1)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def history(created, statuses=(), customer=(), replies=()):
    return TicketHistory(
        created_at=created,
        statuses=[(created, "new"), *statuses],
        customer_messages=[created, *customer],
        public_replies=list(replies),
    )


def by_kind(clocks, kind):
    return [c for c in clocks if c.kind == kind]


def test_first_reply_deadline_in_business_hours():
    # Monday 2026-11-23 15:00 Helsinki (13:00 UTC); 4 business hours: 1 h Monday,
    # 3 h Tuesday from 08:00 -> Tuesday 11:00 Helsinki = 09:00 UTC.
    created = utc(2026, 11, 23, 13, 0)
    clocks = compute_clocks(history(created), Targets(first_reply=4 * H), OFFICE)
    (first,) = by_kind(clocks, "first_reply")
    assert first.due_at == utc(2026, 11, 24, 9, 0)
    assert first.running and not first.breached(utc(2026, 11, 24, 8, 59))
    assert first.breached(utc(2026, 11, 24, 9, 1))


def test_achieved_reply_stops_the_clock_and_records_breach_or_not():
    created = utc(2026, 11, 23, 8, 0)  # 10:00 Helsinki
    on_time = compute_clocks(
        history(created, replies=[utc(2026, 11, 23, 9, 0)]), Targets(first_reply=2 * H), OFFICE
    )[0]
    late = compute_clocks(
        history(created, replies=[utc(2026, 11, 23, 11, 0)]), Targets(first_reply=2 * H), OFFICE
    )[0]
    assert on_time.achieved_at and not on_time.breached(utc(2030, 1, 1))
    assert late.breached(utc(2026, 11, 23, 11, 0))


def test_pending_pauses_the_resolution_clock():
    created = utc(2026, 11, 23, 6, 0)  # Monday 08:00 Helsinki
    statuses = [(utc(2026, 11, 23, 7, 0), "open"), (utc(2026, 11, 23, 8, 0), "pending")]
    hist = history(created, statuses=statuses)
    (resolution,) = compute_clocks(hist, Targets(resolution=8 * H), OFFICE)
    assert resolution.due_at is None  # paused now: no deadline runs
    assert pauses(hist) == [(utc(2026, 11, 23, 8, 0), None)]
    # The customer answers Wednesday 08:00 UTC (10:00 Helsinki): 2 h were used
    # Monday, 6 h remain -> Wednesday 16:00 Helsinki = 14:00 UTC.
    resumed = history(created, statuses=[*statuses, (utc(2026, 11, 25, 8, 0), "open")])
    (resolution,) = compute_clocks(resumed, Targets(resolution=8 * H), OFFICE)
    assert resolution.due_at == utc(2026, 11, 25, 14, 0)


def test_next_reply_clock_per_exchange():
    created = utc(2026, 11, 23, 7, 0)
    replies = [utc(2026, 11, 23, 8, 0), utc(2026, 11, 23, 12, 0)]
    customer = [utc(2026, 11, 23, 9, 0), utc(2026, 11, 23, 9, 30), utc(2026, 11, 23, 13, 0)]
    clocks = compute_clocks(
        history(created, customer=customer, replies=replies),
        Targets(first_reply=H, next_reply=2 * H),
        OFFICE,
    )
    nexts = by_kind(clocks, "next_reply")
    assert [c.started_at for c in nexts] == [utc(2026, 11, 23, 9, 0), utc(2026, 11, 23, 13, 0)]
    assert nexts[0].achieved_at == utc(2026, 11, 23, 12, 0) and nexts[0].breached(created)
    assert nexts[1].running and nexts[1].due_at == utc(2026, 11, 24, 7, 0)
    assert next_deadline(clocks) is nexts[1]


def test_solved_stops_resolution_and_juhannus_is_closed():
    # Created Thursday 2026-06-18 15:00 Helsinki; Friday 19.6. (Juhannusaatto)
    # and the weekend are closed: 2 business hours end Monday 22.6. 09:00 Helsinki.
    created = utc(2026, 6, 18, 12, 0)
    (resolution,) = compute_clocks(history(created), Targets(resolution=2 * H), OFFICE)
    assert resolution.due_at == utc(2026, 6, 22, 6, 0)
    solved = history(created, statuses=[(utc(2026, 6, 22, 5, 0), "solved")])
    (resolution,) = compute_clocks(solved, Targets(resolution=2 * H), OFFICE)
    assert resolution.achieved_at == utc(2026, 6, 22, 5, 0) and not resolution.running


def test_no_targets_no_clocks():
    assert compute_clocks(history(utc(2026, 1, 5, 8)), Targets(), OFFICE) == []
