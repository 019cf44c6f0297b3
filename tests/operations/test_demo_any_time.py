"""The demo shows its merged duplicate, its escalated urgent ticket and a solved
complaint whenever it is started.

Both steps look for fitting open tickets among those the generator made
relative to the start time; started at 01:50 Helsinki time (found by the
suite at that minute) they once found none, because the absent agent's
tickets were handed to her stand-in only at the end.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import override_settings

from tiski.operations.demo_data import populate
from tiski.search.models import SavedSearch
from tiski.search.query import parse
from tiski.search.service import apply_filters
from tiski.tickets.models import Ticket, TicketMerge

FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.mark.parametrize(
    "start",
    [
        "2026-12-05T23:50:00+00:00",
        "2026-12-07T08:00:00+00:00",
        # A Sunday afternoon, when the draw had no complaint left solved.
        "2026-12-06T14:20:00+00:00",
    ],
)
def test_merge_urgent_escalation_and_a_solved_complaint_at_any_start(db, start, tmp_path):
    with (
        time_machine.travel(dt.datetime.fromisoformat(start), tick=False),
        override_settings(MEDIA_ROOT=tmp_path, PASSWORD_HASHERS=FAST_HASHER),
    ):
        populate(stdout=None)
    assert TicketMerge.objects.count() == 1
    urgent = SavedSearch.objects.select_related("user").get(name="Kiireelliset")
    found = apply_filters(Ticket.objects.visible_to(urgent.user), parse(urgent.query), urgent.user)
    assert found.filter(escalation_level__gt=0).exists()
    assert Ticket.objects.filter(type__slug="complaint", status="solved").exists()
