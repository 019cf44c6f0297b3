"""Settings → Business calendars: the week grid with split shifts, holidays, exceptions."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.urls import reverse

from tiski.setup.forms_calendars import check_spans
from tiski.sla.models import Calendar

from .conftest import last_change

NEW = reverse("setup:calendar-new")


def week(**days) -> dict:
    """{"mon": [("08:00", "11:00"), ...]} -> the grid's POST lists."""
    names = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    data: dict[str, list[str]] = {}
    for name, spans in days.items():
        n = names.index(name)
        data[f"day-{n}-start"] = [s for s, _e in spans]
        data[f"day-{n}-end"] = [e for _s, e in spans]
    return data


def base(**extra) -> dict:
    return {"name": "Asiakaspalvelu", "time_zone": "Europe/Helsinki", "country": "FI", **extra}


def test_agent_gets_403(agent_client, db):
    assert agent_client.get(reverse("setup:calendars")).status_code == 403
    assert agent_client.get(NEW).status_code == 403
    assert agent_client.post(NEW, base()).status_code == 403
    holidays = reverse("setup:calendar-holidays")
    assert agent_client.get(holidays, {"country": "FI"}).status_code == 403


def test_split_shifts_holidays_and_exceptions_are_saved_and_logged(admin_client, admin):
    data = base(
        subdivision="",
        is_default="on",
        **week(mon=[("08:00", "11:00"), ("12:00", "16:00")], fri=[("08:00", "14:00")]),
    )
    data["closed-date"] = ["2026-12-28", ""]
    data["open-date"] = ["2026-12-27"]
    data["open-start"] = ["10:00"]
    data["open-end"] = ["12:00"]
    response = admin_client.post(NEW, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    calendar = Calendar.objects.get(name="Asiakaspalvelu")
    assert calendar.weekly_hours == {"0": "08:00-11:00, 12:00-16:00", "4": "08:00-14:00"}
    assert calendar.closed_dates == ["2026-12-28"]
    assert calendar.open_dates == {"2026-12-27": "10:00-12:00"}
    assert calendar.is_default
    # The pure calendar reads it: Monday's lunch hour is closed, Christmas Day a holiday.
    hours = calendar.to_calendar()
    tz = ZoneInfo("Europe/Helsinki")
    assert hours.is_open(datetime(2026, 12, 7, 10, 30, tzinfo=tz))
    assert not hours.is_open(datetime(2026, 12, 7, 11, 30, tzinfo=tz))
    assert hours.is_holiday(date(2026, 12, 25))
    assert hours.is_open(datetime(2026, 12, 27, 11, 0, tzinfo=tz))  # a Sunday opened
    change = last_change("calendars")
    assert change.action == "created" and change.actor == admin
    assert change.changes["weekly_hours"] == [
        "",
        "Monday 08:00-11:00, 12:00-16:00; Friday 08:00-14:00",
    ]


def test_the_grid_shows_the_stored_spans(admin_client, db):
    calendar = Calendar.objects.create(
        name="Kauppa", weekly_hours={"0": "08:00-11:00, 12:00-16:00"}
    )
    page = admin_client.get(reverse("setup:calendar-edit", args=[calendar.pk])).content.decode()
    assert 'name="day-0-start" value="08:00"' in page
    assert 'name="day-0-start" value="12:00"' in page
    assert 'name="day-0-end" value="16:00"' in page


def test_overlap_and_end_before_start_are_marked_on_their_day(admin_client):
    data = base(
        **week(
            mon=[("08:00", "12:00"), ("11:00", "16:00")],
            tue=[("16:00", "08:00")],
            wed=[("09:00", "")],
        )
    )
    response = admin_client.post(NEW, data)
    assert response.status_code == 400
    text = response.content.decode()
    assert "Monday: 08:00–12:00 and 11:00–16:00 overlap." in text
    assert "Tuesday: 16:00–08:00 ends before it starts." in text
    assert "Wednesday: give both the start and the end of each span" in text
    assert not Calendar.objects.filter(name="Asiakaspalvelu").exists()
    # What was typed comes back, so nothing has to be typed again.
    assert 'name="day-0-start" value="11:00"' in text


def test_a_day_both_closed_and_open_and_a_calendar_never_open_are_refused(admin_client):
    data = base()
    data["closed-date"] = ["2026-12-24"]
    data["open-date"] = ["2026-12-24"]
    data["open-start"] = ["09:00"]
    data["open-end"] = ["12:00"]
    text = admin_client.post(NEW, data).content.decode()
    assert "24.12.2026 is both a closed day and an open day." in text
    text = admin_client.post(NEW, base()).content.decode()
    assert "Give opening hours for at least one day of the week." in text


def test_region_must_belong_to_the_country(admin_client):
    data = base(country="DE", subdivision="01", **week(mon=[("08:00", "16:00")]))
    response = admin_client.post(NEW, data)
    assert response.status_code == 400
    assert "Choose a region of the chosen country." in response.content.decode()


def test_country_change_offers_its_regions_and_holidays(admin_client):
    response = admin_client.get(reverse("setup:calendar-holidays"), {"country": "DE"})
    text = response.content.decode()
    assert 'value="BY"' in text
    assert "Coming public holidays" in text


def test_a_new_default_calendar_replaces_the_old_default(admin_client):
    old = Calendar.objects.create(name="Vanha", weekly_hours={"0": "08:00-16:00"}, is_default=True)
    admin_client.post(NEW, base(is_default="on", **week(mon=[("08:00", "16:00")])))
    old.refresh_from_db()
    assert not old.is_default
    assert Calendar.objects.get(name="Asiakaspalvelu").is_default


def test_midnight_ends_the_day():
    spans, errors = check_spans([("20:00", "00:00"), ("08:00", "12:00")], "Mon")
    assert errors == []
    assert [(s.hour, e.hour) for s, e in spans] == [(8, 12), (20, 0)]
    _spans, errors = check_spans([("20:00", "00:00"), ("21:00", "22:00")], "Mon")
    assert errors == ["Mon: 20:00–24:00 and 21:00–22:00 overlap."]
