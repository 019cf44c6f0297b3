"""The heartbeat counting rules, without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tiski.worktime.counting import IDLE_AFTER, MAX_STRETCH, SESSION_CAP, credit

T0 = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)


def after(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_a_focused_active_stretch_counts_whole():
    assert credit(since=T0, now=after(20), focused=True, idle_seconds=3) == 20


def test_an_unfocused_tab_counts_nothing():
    assert credit(since=T0, now=after(20), focused=False, idle_seconds=0) == 0


def test_idle_time_past_the_limit_is_not_counted():
    # Last input 70 s ago: active until 10 s ago, so 10 of the last 20 s count.
    assert credit(since=T0, now=after(20), focused=True, idle_seconds=IDLE_AFTER + 10) == 10
    # Idle the whole stretch.
    assert credit(since=T0, now=after(20), focused=True, idle_seconds=IDLE_AFTER + 25) == 0


def test_a_late_beat_counts_no_more_than_one_stretch():
    """A laptop asleep for an hour does not turn the gap into work."""
    assert credit(since=T0, now=after(3600), focused=True, idle_seconds=0) == MAX_STRETCH


def test_a_session_stops_counting_at_its_cap():
    assert (
        credit(
            since=T0, now=after(20), focused=True, idle_seconds=0, counted_so_far=SESSION_CAP - 5
        )
        == 5
    )
    assert (
        credit(since=T0, now=after(20), focused=True, idle_seconds=0, counted_so_far=SESSION_CAP)
        == 0
    )


def test_the_clock_going_backwards_counts_nothing():
    assert credit(since=after(20), now=T0, focused=True, idle_seconds=0) == 0
