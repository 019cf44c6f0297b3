"""The heartbeat counting rules, as a pure function.

A ticket page sends a heartbeat every ``BEAT_SECONDS`` and at every change
of focus. Each beat describes the stretch since the tab's previous beat:
whether the tab was focused and visible all that time, and how many seconds
ago the agent last touched keyboard, mouse or screen. The server measures
the stretch with its own clock; the browser's clock is never trusted.

- An unfocused or hidden tab counts nothing.
- The agent counts as working until ``IDLE_AFTER`` seconds after the last
  input; the rest of the stretch is idle and not counted.
- One beat counts at most ``MAX_STRETCH`` seconds: a beat arriving late (a
  sleeping laptop, a lost network) does not turn the gap into work.
- One session (one page view) counts at most ``SESSION_CAP`` seconds.
"""

from __future__ import annotations

from datetime import datetime

BEAT_SECONDS = 20
IDLE_AFTER = 60
MAX_STRETCH = 45
SESSION_CAP = 4 * 3600


def credit(
    *,
    since: datetime,
    now: datetime,
    focused: bool,
    idle_seconds: float,
    counted_so_far: int = 0,
) -> int:
    """Whole seconds of work in the stretch (since, now]."""
    if not focused or now <= since:
        return 0
    stretch = min((now - since).total_seconds(), MAX_STRETCH)
    idle = max(0.0, float(idle_seconds))
    # Active from the start of the stretch until IDLE_AFTER past the last input.
    idle_part = max(0.0, idle - IDLE_AFTER)
    worked = max(0.0, stretch - idle_part)
    return max(0, min(round(worked), SESSION_CAP - counted_so_far))
