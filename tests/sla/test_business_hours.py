"""Business-hours and SLA-deadline arithmetic: pure functions, no database.

Expected instants are written in UTC and worked out by hand in the comments.
Helsinki is EET (UTC+2) in winter and EEST (UTC+3) in summer. The DST changes
used below:
  2026-03-29 (Sun) 03:00 EET -> 04:00 EEST, at 01:00Z
  2026-10-25 (Sun) 04:00 EEST -> 03:00 EET, at 01:00Z
  2027-03-28 (Sun, also Easter Sunday) 03:00 -> 04:00, at 01:00Z
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from tiski.calendars import END_OF_DAY, BusinessCalendar, deadline, format_expected_reply, sla_state

try:  # hypothesis is optional: the seeded property test below always runs
    from hypothesis import HealthCheck, given
    from hypothesis import settings as hypothesis_settings
    from hypothesis import strategies as st
except ImportError:  # pragma: no cover - depends on the environment
    HAVE_HYPOTHESIS = False
else:
    HAVE_HYPOTHESIS = True

HELSINKI = ZoneInfo("Europe/Helsinki")
H = timedelta(hours=1)

OFFICE = BusinessCalendar.office_hours()  # Mon-Fri 08-16 Helsinki, FI holidays
ALWAYS = BusinessCalendar.always_open()
SPLIT = BusinessCalendar(weekly={d: ((time(8), time(11)), (time(12), time(16))) for d in range(5)})
# A night desk whose shift contains the DST jumps.
NIGHT = BusinessCalendar(weekly={d: ((time(2), time(5)),) for d in range(7)}, country=None)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=HELSINKI)


# --- DST with a 24/7 calendar ---------------------------------------------------------


def test_always_open_spring_forward_counts_real_hours() -> None:
    # Sat 2026-03-28 12:00 EET = 10:00Z; +24 real hours = Sun 10:00Z = 13:00 EEST,
    # so the wall clock moves 25 hours while 24 hours of service elapse.
    end = ALWAYS.add_business_time(utc(2026, 3, 28, 10), 24 * H)
    assert end == utc(2026, 3, 29, 10)
    assert end.tzinfo is UTC
    assert end.astimezone(HELSINKI).hour == 13
    # The local day itself is 23 hours: 2026-03-28 22:00Z .. 2026-03-29 21:00Z.
    assert ALWAYS.business_time_between(local(2026, 3, 29), local(2026, 3, 30)) == 23 * H


def test_always_open_fall_back_counts_real_hours() -> None:
    # Sat 2026-10-24 12:00 EEST = 09:00Z; +24 h = Sun 09:00Z = 11:00 EET.
    end = ALWAYS.add_business_time(utc(2026, 10, 24, 9), 24 * H)
    assert end == utc(2026, 10, 25, 9)
    assert end.astimezone(HELSINKI).hour == 11
    # 2026-10-24 21:00Z .. 2026-10-25 22:00Z: 25 hours.
    assert ALWAYS.business_time_between(local(2026, 10, 25), local(2026, 10, 26)) == 25 * H


def test_always_open_has_no_gap_at_midnight() -> None:
    # Tue 2026-11-10 23:30 EET = 21:30Z; +1 h = Wed 00:30 EET = 22:30Z.
    assert ALWAYS.add_business_time(utc(2026, 11, 10, 21, 30), H) == utc(2026, 11, 10, 22, 30)
    assert ALWAYS.is_open(local(2026, 11, 11, 0, 0))
    assert ALWAYS.is_open(local(2026, 11, 10, 23, 59, 59))
    # Holidays do not close a 24/7 desk: Christmas week is a full 7 x 24 h.
    week = ALWAYS.business_time_between(local(2026, 12, 21), local(2026, 12, 28))
    assert week == timedelta(days=7)
    assert ALWAYS.next_opening(utc(2026, 12, 25, 3)) == utc(2026, 12, 25, 3)


# --- DST with office hours and a night shift -------------------------------------------


def test_office_hours_across_spring_forward_weekend() -> None:
    # Fri 2026-03-27 15:00 EET = 13:00Z: 1 h left on Friday, 1 h on Monday.
    # Mon 2026-03-30 09:00 is already EEST (+3) = 06:00Z.
    assert OFFICE.add_business_time(utc(2026, 3, 27, 13), 2 * H) == utc(2026, 3, 30, 6)
    assert OFFICE.business_time_between(utc(2026, 3, 27, 13), utc(2026, 3, 30, 6)) == 2 * H


def test_office_hours_across_fall_back_weekend() -> None:
    # Fri 2026-10-23 15:00 EEST = 12:00Z; Mon 2026-10-26 09:00 EET (+2) = 07:00Z.
    assert OFFICE.add_business_time(utc(2026, 10, 23, 12), 2 * H) == utc(2026, 10, 26, 7)
    assert OFFICE.next_opening(utc(2026, 10, 25, 12)) == utc(2026, 10, 26, 6)


def test_shift_spanning_the_spring_jump_is_shorter() -> None:
    # Sun 2026-03-29 02:00-05:00 local: 02:00 EET = 00:00Z, 05:00 EEST = 02:00Z.
    assert NIGHT.business_time_between(local(2026, 3, 29), local(2026, 3, 30)) == 2 * H
    # Starting at the shift start, 2 h is used up exactly at 02:00Z = 05:00 EEST.
    assert NIGHT.add_business_time(utc(2026, 3, 29, 0), 2 * H) == utc(2026, 3, 29, 2)
    # 03:30 local does not exist; 01:30Z is 04:30 EEST, inside the shift.
    assert NIGHT.is_open(utc(2026, 3, 29, 1, 30))


def test_shift_spanning_the_autumn_jump_is_longer() -> None:
    # Sun 2026-10-25 02:00 EEST = 23:00Z (Sat), 05:00 EET = 03:00Z: 4 real hours.
    assert NIGHT.business_time_between(local(2026, 10, 25), local(2026, 10, 26)) == 4 * H
    # Opens 02:00 EEST = 23:00Z on the 24th; 3 real hours later is 02:00Z = 04:00 EET
    # (the 03:00-04:00 hour ran twice), and the shift goes on until 03:00Z.
    assert NIGHT.add_business_time(utc(2026, 10, 24, 23), 3 * H) == utc(2026, 10, 25, 2)
    assert NIGHT.is_open(utc(2026, 10, 25, 2, 59))
    assert not NIGHT.is_open(utc(2026, 10, 25, 3))


def test_skipped_local_times_clamp_to_the_jump() -> None:
    # On 2026-03-29 local 03:00-04:00 never happens; the jump is at 01:00Z.
    cal = BusinessCalendar(
        weekly={6: ((time(2), time(3, 30)), (time(4), time(5)))},
        country=None,
    )
    # 02:00 EET = 00:00Z .. jump 01:00Z, then 04:00 EEST = 01:00Z .. 05:00 EEST = 02:00Z.
    assert cal.business_time_between(utc(2026, 3, 28, 12), utc(2026, 3, 29, 12)) == 2 * H
    assert cal.add_business_time(utc(2026, 3, 29, 0), H) == utc(2026, 3, 29, 1)
    # An interval wholly inside the skipped hour is simply never open that night.
    ghost = BusinessCalendar(weekly={6: ((time(3, 15), time(3, 45)),)}, country=None)
    assert ghost.business_time_between(utc(2026, 3, 28), utc(2026, 3, 30)) == timedelta(0)
    # A week later the same wall-clock interval exists: Sun 2026-04-05 03:15 EEST = 00:15Z.
    assert ghost.next_opening(utc(2026, 3, 29)) == utc(2026, 4, 5, 0, 15)


# --- Finnish holidays -------------------------------------------------------------------


def test_juhannus_eve_and_day_are_closed() -> None:
    # The holidays package lists Juhannusaatto (Midsummer Eve) for FI: no manual entry needed.
    assert OFFICE.is_holiday(date(2026, 6, 19))
    assert OFFICE.is_holiday(date(2026, 6, 20))
    assert OFFICE.is_holiday(date(2027, 6, 25))
    assert not OFFICE.is_open(local(2026, 6, 19, 10))
    # Thu 2026-06-18 15:00 EEST = 12:00Z; Fri and the weekend closed;
    # Mon 2026-06-22 09:00 EEST = 06:00Z.
    assert OFFICE.add_business_time(utc(2026, 6, 18, 12), 2 * H) == utc(2026, 6, 22, 6)


def test_christmas_is_closed() -> None:
    # 24.-26.12.2026 is Thu-Sat. Wed 2026-12-23 15:00 EET = 13:00Z, 1 h left that day,
    # then nothing until Mon 2026-12-28 08:00 EET; +1 h = 09:00 EET = 07:00Z.
    assert OFFICE.add_business_time(utc(2026, 12, 23, 13), 2 * H) == utc(2026, 12, 28, 7)
    for day in (24, 25, 26):
        assert OFFICE.hours_on(date(2026, 12, day)) == ()


def test_new_year_is_closed() -> None:
    # Thu 2026-12-31 15:30 EET = 13:30Z: 30 min left; Fri 2027-01-01 is New Year's Day;
    # Mon 2027-01-04 08:30 EET = 06:30Z.
    assert OFFICE.add_business_time(utc(2026, 12, 31, 13, 30), H) == utc(2027, 1, 4, 6, 30)


def test_easter_2026_good_friday_and_easter_monday() -> None:
    # Thu 2026-04-02 16:00 EEST (closing time) = 13:00Z; Fri 3.4. and Mon 6.4. closed;
    # Tue 2026-04-07 09:00 EEST = 06:00Z.
    assert OFFICE.add_business_time(utc(2026, 4, 2, 13), H) == utc(2026, 4, 7, 6)


def test_easter_2027_coincides_with_spring_forward() -> None:
    # Thu 2027-03-25 15:00 EET = 13:00Z, 1 h left. Good Friday 26.3., Easter Monday 29.3.,
    # DST starts Sunday 28.3. Tue 2027-03-30 09:00 EEST = 06:00Z.
    assert OFFICE.add_business_time(utc(2027, 3, 25, 13), 2 * H) == utc(2027, 3, 30, 6)


# --- shifts, long targets, closed starts --------------------------------------------------


def test_split_shift_crosses_the_lunch_gap() -> None:
    # Tue 2026-11-24 10:30 EET = 08:30Z: 30 min before lunch, 30 min after 12:00.
    assert SPLIT.add_business_time(utc(2026, 11, 24, 8, 30), H) == utc(2026, 11, 24, 10, 30)
    # A target used up exactly at 11:00 ends there, not at 12:00.
    assert SPLIT.add_business_time(utc(2026, 11, 24, 8), H) == utc(2026, 11, 24, 9)
    assert not SPLIT.is_open(local(2026, 11, 24, 11, 30))
    assert SPLIT.next_opening(local(2026, 11, 24, 11, 30)) == utc(2026, 11, 24, 10)
    assert SPLIT.business_time_between(local(2026, 11, 24), local(2026, 11, 25)) == 7 * H


def test_target_crossing_several_days_and_a_weekend() -> None:
    # Thu 2026-11-19 14:00 EET = 12:00Z, 16 h: Thu 2 h + Fri 8 h + Mon 6 h
    # -> Mon 2026-11-23 14:00 EET = 12:00Z.
    assert OFFICE.add_business_time(utc(2026, 11, 19, 12), 16 * H) == utc(2026, 11, 23, 12)


def test_target_spanning_weeks() -> None:
    # Three 40-hour weeks from Mon 2026-11-02 08:00 EET (no FI holidays in November 2026)
    # end at Fri 2026-11-20 16:00 EET = 14:00Z.
    assert OFFICE.add_business_time(utc(2026, 11, 2, 6), 120 * H) == utc(2026, 11, 20, 14)


def test_start_in_closed_time() -> None:
    # Sat 2026-11-21 10:00 EET: the clock starts Mon 08:00 EET = 06:00Z; +30 min = 06:30Z.
    start = utc(2026, 11, 21, 8)
    assert OFFICE.next_opening(start) == utc(2026, 11, 23, 6)
    assert OFFICE.add_business_time(start, timedelta(minutes=30)) == utc(2026, 11, 23, 6, 30)
    # Zero target: the instant the clock would start.
    assert OFFICE.add_business_time(start, timedelta(0)) == utc(2026, 11, 23, 6)
    # Early morning on a weekday: Tue 06:00 EET -> opens 08:00 EET = 06:00Z.
    assert OFFICE.next_opening(local(2026, 11, 24, 6)) == utc(2026, 11, 24, 6)
    # Open at the start instant, closed at the end instant.
    assert OFFICE.is_open(local(2026, 11, 24, 8))
    assert not OFFICE.is_open(local(2026, 11, 24, 16))


def test_manual_closed_date() -> None:
    cal = BusinessCalendar.office_hours(closed_dates=frozenset({date(2026, 11, 24)}))
    # Mon 2026-11-23 15:00 EET = 13:00Z: 1 h Monday, Tuesday closed,
    # Wed 2026-11-25 09:00 EET = 07:00Z.
    assert cal.add_business_time(utc(2026, 11, 23, 13), 2 * H) == utc(2026, 11, 25, 7)


def test_manual_open_date_overrides_weekend_and_holiday() -> None:
    cal = BusinessCalendar.office_hours(
        open_dates={
            date(2026, 11, 28): ((time(10), time(14)),),  # a Saturday
            date(2026, 12, 24): ((time(9), time(12)),),  # Christmas Eve, a holiday
            date(2026, 11, 30): (),  # a Monday closed for a staff day
        }
    )
    # Fri 2026-11-27 15:00 EET = 13:00Z: 1 h Friday, then Sat 10:00 -> 11:00 EET = 09:00Z.
    assert cal.add_business_time(utc(2026, 11, 27, 13), 2 * H) == utc(2026, 11, 28, 9)
    assert cal.is_open(local(2026, 12, 24, 10))
    assert not cal.is_open(local(2026, 11, 30, 10))
    # From Sat 14:00 the next opening skips Sunday and the closed Monday: Tue 08:00 = 06:00Z.
    assert cal.next_opening(local(2026, 11, 28, 14)) == utc(2026, 12, 1, 6)


def test_end_of_day_marker_and_validation() -> None:
    evening = BusinessCalendar.office_hours(start=time(18), end=END_OF_DAY, days=range(7))
    # Mon 2026-11-23 23:00 EET = 21:00Z, 2 h: 1 h until midnight, then Tue 18:00-19:00 EET
    # = 17:00Z.
    assert evening.add_business_time(utc(2026, 11, 23, 21), 2 * H) == utc(2026, 11, 24, 17)
    with pytest.raises(ValueError, match="overlap"):
        BusinessCalendar(weekly={0: ((time(8), time(12)), (time(11), time(16)))})
    with pytest.raises(ValueError, match="empty or reversed"):
        BusinessCalendar(weekly={0: ((time(16), time(8)),)})
    with pytest.raises(ValueError, match="weekday"):
        BusinessCalendar(weekly={7: ((time(8), time(16)),)})
    with pytest.raises(ValueError, match="both closed and open"):
        BusinessCalendar(
            closed_dates=frozenset({date(2026, 1, 2)}),
            open_dates={date(2026, 1, 2): ((time(8), time(12)),)},
        )
    with pytest.raises(ValueError):
        BusinessCalendar(country="XX")
    with pytest.raises(ValueError, match="timezone-aware"):
        OFFICE.is_open(datetime(2026, 11, 24, 10))
    with pytest.raises(ValueError, match="negative"):
        OFFICE.add_business_time(utc(2026, 11, 24), -H)


def test_never_open_calendar() -> None:
    closed = BusinessCalendar(weekly={})
    with pytest.raises(ValueError, match="no open time"):
        closed.add_business_time(utc(2026, 1, 1), H)
    with pytest.raises(ValueError, match="no open time"):
        closed.next_opening(utc(2026, 1, 1))
    assert closed.business_time_between(utc(2026, 1, 1), utc(2027, 1, 1)) == timedelta(0)
    # An extra open day far ahead is still found (within the three-year search limit).
    later = BusinessCalendar(weekly={}, open_dates={date(2028, 6, 1): ((time(9), time(10)),)})
    # 2028-06-01 09:00 EEST = 06:00Z.
    assert later.next_opening(utc(2026, 1, 1)) == utc(2028, 6, 1, 6)


def test_calendar_is_hashable_and_comparable() -> None:
    assert BusinessCalendar.office_hours() == OFFICE
    assert hash(BusinessCalendar.office_hours()) == hash(OFFICE)
    assert OFFICE != ALWAYS


# --- business_time_between consistency --------------------------------------------------


def test_between_is_signed_and_additive() -> None:
    a, b, c = utc(2026, 11, 19, 12), utc(2026, 11, 21, 0), utc(2026, 11, 24, 9)
    # Thu 14:00-16:00 + Fri 8 h = 10 h; then Sat..Tue 11:00 EET = Mon 8 h + Tue 3 h.
    assert OFFICE.business_time_between(a, b) == 10 * H
    assert OFFICE.business_time_between(b, c) == 11 * H
    assert OFFICE.business_time_between(a, c) == 21 * H
    assert OFFICE.business_time_between(c, a) == -21 * H


PROPERTY_CALENDARS = (OFFICE, SPLIT, ALWAYS, NIGHT)
RANGE_START = utc(2026, 1, 1)
RANGE_SECONDS = int((utc(2028, 1, 1) - RANGE_START).total_seconds())


def _check_round_trip(calendar: BusinessCalendar, start: datetime, duration: timedelta) -> None:
    end = calendar.add_business_time(start, duration)
    assert end.tzinfo is UTC
    assert end >= start
    assert calendar.business_time_between(start, end) == duration
    if duration:
        # The deadline is the *first* such instant: just before it, time is still owed.
        assert calendar.business_time_between(start, end - timedelta(microseconds=1)) < duration
    opening = calendar.next_opening(start)
    assert calendar.is_open(opening)


def test_round_trip_seeded_random() -> None:
    rng = random.Random(20261124)
    for _ in range(300):
        calendar = rng.choice(PROPERTY_CALENDARS)
        start = RANGE_START + timedelta(seconds=rng.randrange(RANGE_SECONDS))
        duration = timedelta(minutes=rng.randrange(0, 200 * 60))
        _check_round_trip(calendar, start, duration)


if HAVE_HYPOTHESIS:

    @hypothesis_settings(
        max_examples=200,
        deadline=None,
        # The autouse media-root fixture is function-scoped but harmless to share.
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(
        calendar=st.sampled_from(PROPERTY_CALENDARS),
        start=st.datetimes(
            min_value=datetime(2026, 1, 1),
            max_value=datetime(2027, 12, 31),
            timezones=st.just(UTC),
        ),
        duration=st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=300)),
    )
    def test_round_trip_property(
        calendar: BusinessCalendar, start: datetime, duration: timedelta
    ) -> None:
        _check_round_trip(calendar, start, duration)

else:

    @pytest.mark.skip(reason="hypothesis is not installed")
    def test_round_trip_property() -> None:
        pass


# --- paused-clock deadlines -------------------------------------------------------------

MON_0900 = utc(2026, 11, 23, 7)  # Mon 2026-11-23 09:00 EET


def test_deadline_without_pauses() -> None:
    # 09:00 + 4 h = 13:00 EET = 11:00Z.
    assert deadline(MON_0900, 4 * H, OFFICE) == utc(2026, 11, 23, 11)


def test_deadline_pause_adds_no_business_time() -> None:
    # Paused 10:00-14:00 EET: 1 h ran before the pause, 3 h are left at 14:00; the day
    # closes at 16:00, so 2 h Monday and 1 h Tuesday -> Tue 09:00 EET = 07:00Z.
    paused = [(utc(2026, 11, 23, 8), utc(2026, 11, 23, 12))]
    assert deadline(MON_0900, 4 * H, OFFICE, paused) == utc(2026, 11, 24, 7)
    # Overnight pause Mon 15:00 -> Tue 10:00 EET with an 8 h target: 6 h Monday,
    # 2 h from Tue 10:00 -> 12:00 EET = 10:00Z.
    overnight = [(utc(2026, 11, 23, 13), utc(2026, 11, 24, 8))]
    assert deadline(MON_0900, 8 * H, OFFICE, overnight) == utc(2026, 11, 24, 10)
    # The same pause after a 4 h target was already reached changes nothing.
    assert deadline(MON_0900, 4 * H, OFFICE, overnight) == utc(2026, 11, 23, 11)


def test_deadline_overlapping_unsorted_pauses() -> None:
    # Pauses 11:00-12:00 and 10:00-11:30 EET merge to 10:00-12:00: 1 h before,
    # 3 h from 12:00 -> 15:00 EET = 13:00Z.
    paused = [
        (utc(2026, 11, 23, 9), utc(2026, 11, 23, 10)),
        (utc(2026, 11, 23, 8), utc(2026, 11, 23, 9, 30)),
    ]
    assert deadline(MON_0900, 4 * H, OFFICE, paused) == utc(2026, 11, 23, 13)


def test_deadline_pause_around_start_and_before_start() -> None:
    # A pause 08:00-10:00 EET that began before the 09:00 start: the clock starts at
    # 10:00, +4 h = 14:00 EET = 12:00Z. A pause ended the week before is ignored.
    paused = [
        (utc(2026, 11, 23, 6), utc(2026, 11, 23, 8)),
        (utc(2026, 11, 16, 6), utc(2026, 11, 16, 8)),
    ]
    assert deadline(MON_0900, 4 * H, OFFICE, paused) == utc(2026, 11, 23, 12)


def test_deadline_open_ended_pause() -> None:
    # Still pending since 10:00 EET: no deadline while the clock stands still.
    assert deadline(MON_0900, 4 * H, OFFICE, [(utc(2026, 11, 23, 8), None)]) is None
    # Pending only since Tuesday: the Monday 13:00 EET deadline had already passed.
    late_pause = [(utc(2026, 11, 24, 8), None)]
    assert deadline(MON_0900, 4 * H, OFFICE, late_pause) == utc(2026, 11, 23, 11)


def test_deadline_across_dst_on_a_24_7_desk() -> None:
    # Sat 2026-03-28 12:00 EET = 10:00Z, 24 h target, paused 2 real hours 12:00Z-14:00Z:
    # 24 + 2 = 26 real hours -> Sun 2026-03-29 12:00Z.
    paused = [(utc(2026, 3, 28, 12), utc(2026, 3, 28, 14))]
    assert deadline(utc(2026, 3, 28, 10), 24 * H, ALWAYS, paused) == utc(2026, 3, 29, 12)


# --- sla_state ---------------------------------------------------------------------------


def test_sla_state() -> None:
    due = utc(2026, 11, 23, 11)
    warn = timedelta(minutes=30)
    assert sla_state(due - H, due, warn) == "on_track"
    assert sla_state(due - warn, due, warn) == "warning"
    assert sla_state(due, due, warn) == "warning"  # the deadline instant is still in time
    assert sla_state(due + timedelta(microseconds=1), due, warn) == "breached"
    assert sla_state(due + H, None, warn) == "on_track"  # paused clock
    assert sla_state(due.astimezone(HELSINKI) - H, due, warn) == "on_track"


# --- format_expected_reply -----------------------------------------------------------------

TUE_1000 = utc(2026, 11, 24, 8)  # Tue 2026-11-24 10:00 EET


@pytest.mark.parametrize(
    ("at", "now", "finnish", "english"),
    [
        (
            TUE_1000,
            utc(2026, 11, 20, 9),
            "tiistaina 24.11. klo 10.00",
            "Tuesday 24 November at 10:00",
        ),
        (utc(2026, 11, 24, 12, 30), TUE_1000, "tänään klo 14.30", "today at 14:30"),
        # Mon 22:00 EET: tomorrow 09:00 EET.
        (utc(2026, 11, 24, 7), utc(2026, 11, 23, 20), "huomenna klo 9.00", "tomorrow at 09:00"),
        # Mon 22:30Z is already Tue 00:30 in Helsinki, so the same answer is "today".
        (utc(2026, 11, 24, 7), utc(2026, 11, 23, 22, 30), "tänään klo 9.00", "today at 09:00"),
        # Another year gets the year.
        (
            utc(2027, 1, 4, 6, 30),
            utc(2026, 12, 31, 13),
            "maanantaina 4.1.2027 klo 8.30",
            "Monday 4 January 2027 at 08:30",
        ),
        # Summer time: Fri 2026-06-19 = Juhannusaatto, 07:15Z = 10:15 EEST.
        (
            utc(2026, 6, 19, 7, 15),
            utc(2026, 6, 1),
            "perjantaina 19.6. klo 10.15",
            "Friday 19 June at 10:15",
        ),
        # Seconds round up: 10:00:30 -> 10:01.
        (
            TUE_1000 + timedelta(seconds=30),
            utc(2026, 11, 20),
            "tiistaina 24.11. klo 10.01",
            "Tuesday 24 November at 10:01",
        ),
    ],
)
def test_format_expected_reply(at: datetime, now: datetime, finnish: str, english: str) -> None:
    assert format_expected_reply(at, "fi", "Europe/Helsinki", now=now) == finnish
    assert format_expected_reply(at, "en", "Europe/Helsinki", now=now) == english


def test_format_expected_reply_language_tags_and_zone() -> None:
    now = utc(2026, 11, 20, 9)
    zone = "Europe/Helsinki"
    assert format_expected_reply(TUE_1000, "fi-FI", zone, now=now).startswith("tiistaina")
    assert format_expected_reply(TUE_1000, "en_GB", zone, now=now).startswith("Tuesday")
    # Unknown languages fall back to English rather than failing to acknowledge.
    assert format_expected_reply(TUE_1000, "sv", zone, now=now).startswith("Tuesday")
    # The zone decides the wall clock: 08:00Z is 08:00 in UTC.
    assert format_expected_reply(TUE_1000, "en", "UTC", now=now) == "Tuesday 24 November at 08:00"
    # Without `now`, the real clock is used; a date years ahead always shows its year.
    assert "2040" in format_expected_reply(utc(2040, 1, 3, 8), "en", "Europe/Helsinki")
