"""Each user reads times in their own time zone, the desk's by default."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse

from tiski.tickets.models import Message, Ticket

# 12:00 UTC: 14:00 in Helsinki (the desk), 07:00 in New York (both on winter time).
WRITTEN_AT = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


@pytest.fixture
def ticket(make_ticket):
    ticket = make_ticket(subject="Lasku puuttuu")
    Ticket.objects.filter(pk=ticket.pk).update(created_at=WRITTEN_AT, updated_at=WRITTEN_AT)
    Message.objects.filter(ticket=ticket).update(created_at=WRITTEN_AT)
    return ticket


def _page(user, ticket) -> str:
    client = Client()
    client.force_login(user)
    return client.get(reverse("desk:ticket", args=[ticket.number])).content.decode()


def test_a_user_in_new_york_sees_the_ticket_time_shifted(make_user, ticket):
    helsinki = make_user(language="en", email="hki@yritys.fi")
    new_york = make_user(language="en", email="ny@yritys.fi", time_zone="America/New_York")
    assert 'datetime="2026-01-15T14:00:00+02:00"' in _page(helsinki, ticket)
    assert 'datetime="2026-01-15T07:00:00-05:00"' in _page(new_york, ticket)


def test_the_user_chooses_the_zone_in_preferences(make_user, ticket):
    user = make_user(language="en", email="agentti@yritys.fi")
    client = Client()
    client.force_login(user)
    page = client.get(reverse("desk:preferences")).content.decode()
    assert "The desk&#x27;s time zone (Europe/Helsinki)" in page
    response = client.post(
        reverse("desk:preferences"), {"language": "en", "time_zone": "America/New_York"}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.time_zone == "America/New_York"
    page = client.get(response["Location"]).content.decode()
    assert "Times are shown in America/New_York." in page
    # Back to the desk's zone: the empty choice.
    client.post(reverse("desk:preferences"), {"language": "en", "time_zone": ""})
    user.refresh_from_db()
    assert user.time_zone == ""
    assert 'datetime="2026-01-15T14:00:00+02:00"' in _page(user, ticket)


def test_an_unknown_zone_is_refused(make_user):
    client = Client()
    client.force_login(make_user(language="en"))
    response = client.post(
        reverse("desk:preferences"), {"language": "en", "time_zone": "Mars/Base"}
    )
    assert response.status_code == 400


def test_the_account_menu_links_to_preferences(make_user, ticket):
    assert reverse("desk:preferences") in _page(make_user(language="en"), ticket)
