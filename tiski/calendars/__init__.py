"""Business calendars and SLA deadline arithmetic.

Pure functions over timezone-aware datetimes, no database access: the SLA
engine and the auto-acknowledgement both build a `BusinessCalendar` from
whatever they store and call into this package.
"""

from tiski.calendars.hours import (
    END_OF_DAY,
    BusinessCalendar,
    Interval,
    SlaState,
    deadline,
    format_expected_reply,
    sla_state,
)

__all__ = [
    "END_OF_DAY",
    "BusinessCalendar",
    "Interval",
    "SlaState",
    "deadline",
    "format_expected_reply",
    "sla_state",
]
