"""A manager reads the reports in a real browser: period, drill-down, screenshots."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tiski.reports import facts
from tiski.surveys.models import SurveyInvitation
from tiski.tickets import actions
from tiski.tickets.models import MessageKind, Status, Via

from ..conftest import PASSWORD
from ..reports import conftest as report_fixtures
from .conftest import login, screenshot

pytestmark = pytest.mark.browser
# The hand-built histories of the reports tests, January 2026.
history = report_fixtures.history


@pytest.fixture
def busy_year(history, make_ticket):
    """History in January plus a spread of this month's tickets over channels and hours."""
    rng = random.Random(7)
    now = timezone.now()
    month_start = now.astimezone(timezone.get_current_timezone()).replace(
        day=1, hour=0, minute=0, second=0, microsecond=0
    )
    made = []
    for i in range(40):
        created = month_start + timedelta(
            days=rng.randrange(max(1, (now - month_start).days)),
            hours=rng.choice([8, 9, 9, 10, 13, 14, 15, 20]),
        )
        created = min(created, now - timedelta(minutes=5))
        ticket = make_ticket(
            subject=f"Tilaus {i}",
            channel=rng.choice(["email", "email", "phone", "chat"]),
            team=history.team,
            assignee=rng.choice([history.agent, history.manager]),
            created_at=created,
        )
        if i % 3:
            actions.add_message(
                ticket,
                kind=MessageKind.PUBLIC,
                actor=history.agent,
                via=Via.AGENT,
                text="Kiitos",
                created_at=created + timedelta(minutes=rng.randrange(10, 300)),
            )
        if i % 2:
            ticket.refresh_from_db()
            actions.update_ticket(
                ticket,
                actor=history.agent,
                via=Via.AGENT,
                status=Status.SOLVED,
                at=min(now, created + timedelta(hours=6)),
            )
        if i % 2:
            # Solved tickets were asked "how did we do?"; most answered.
            SurveyInvitation.objects.create(
                kind="csat",
                ticket=ticket,
                contact=ticket.requester,
                agent=ticket.assignee,
                team=ticket.team,
                sent_at=min(now, created + timedelta(hours=6)),
                score=rng.choice([5, 5, 4, 4, 3, 1]) if i % 5 else None,
                answered_at=min(now, created + timedelta(hours=7)) if i % 5 else None,
            )
        made.append(ticket.pk)
    facts.refresh(made)
    return len(made)


def test_manager_changes_the_period_and_drills_down_to_the_tickets(new_page, history, busy_year):
    page = new_page({"width": 1366, "height": 1000})
    login(page, history.manager.email, PASSWORD)
    page.click("nav.mainnav a[href='/reports/volume/']")
    expect(page.locator("#report-volume h1")).to_be_visible()
    created = page.locator("#figure-created .figure-value a")
    expect(created).to_have_text(str(busy_year))

    # This year: December's tickets and January's four (not the merged or the restricted one).
    page.select_option("#report-period", "this_year")
    page.wait_for_url("**period=this_year**", timeout=30_000)
    expect(created).to_have_text(str(busy_year + 4))
    page.locator("#table-heatmap_all").scroll_into_view_if_needed()
    screenshot(page, "reports-volume-heatmap")

    created.click()
    page.wait_for_url("**view=all**", timeout=30_000)
    expect(page.locator("#report-drill")).to_be_visible()
    expect(page.locator("#ticket-rows tr[data-ticket-id]")).to_have_count(min(busy_year + 4, 50))

    page.goto("/reports/agents/?period=this_year")
    expect(page.locator("#table-agents")).to_be_visible()
    screenshot(page, "reports-agents")
