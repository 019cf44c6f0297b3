"""The live overview in Chromium: a colleague's change shows up without a reload."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tiski.accounts.models import Role
from tiski.tickets.models import Ticket
from tiski.worktime.models import WorkEntry

from ..conftest import PASSWORD
from .conftest import login, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def desk(make_user, make_team, make_ticket, make_contact):
    support = make_team("Asiakastuki")
    sales = make_team("Myynti")
    manager = make_user(
        role=Role.MANAGER, teams=(support, sales), name="Maija Manageri", email="maija@yritys.fi"
    )
    aki = make_user(teams=(support,), name="Aki Agentti", email="aki@yritys.fi")
    now = timezone.now()
    subjects = [
        ("Kahvinkeitin vuotaa", support, None, "new"),
        ("Lasku on väärin", support, None, "new"),
        ("Tilaus ei ole saapunut", support, aki, "open"),
        ("Tarjouspyyntö: 40 tuolia", sales, manager, "open"),
        ("Palautus ja hyvitys", support, aki, "pending"),
        ("Takuukorjaus", sales, None, "on_hold"),
    ]
    tickets = []
    for i, (subject, team, assignee, status) in enumerate(subjects):
        ticket = make_ticket(subject=subject, team=team, requester=make_contact())
        Ticket.objects.filter(pk=ticket.pk).update(
            status=status,
            assignee=assignee,
            last_customer_message_at=now - timedelta(hours=5 - i),
        )
        tickets.append(ticket)
    # One late, one near its deadline.
    Ticket.objects.filter(pk=tickets[2].pk).update(
        queue_due_at=now - timedelta(minutes=20), sla_warn_at=now - timedelta(hours=1)
    )
    Ticket.objects.filter(pk=tickets[3].pk).update(
        queue_due_at=now + timedelta(minutes=30), sla_warn_at=now - timedelta(minutes=5)
    )
    return {"manager": manager, "aki": aki, "tickets": tickets}


def test_overview_updates_live_when_a_colleague_takes_and_solves_a_ticket(new_page, desk):
    page = new_page()
    login(page, "maija@yritys.fi", PASSWORD)
    page.goto("/reports/")
    page.wait_for_function("() => document.body.dataset.live === 'on'")
    expect(page.locator('[data-figure="unassigned"]')).to_have_text("3")
    expect(page.locator('[data-figure="breaching"]')).to_have_text("1")
    expect(page.locator('[data-figure="near_breach"]')).to_have_text("1")
    expect(page.locator('[data-figure="solved_today"]')).to_have_text("0")
    expect(page.locator("#online-count")).to_have_text("1")

    # Aki, in another browser, takes a new ticket and solves it.
    aki = new_page()
    login(aki, "aki@yritys.fi", PASSWORD)
    expect(page.locator("#online-count")).to_have_text("2")
    expect(page.locator("#online-names")).to_contain_text("Aki Agentti")
    ticket = desk["tickets"][0]
    aki.goto(ticket.get_absolute_url())
    # Taking answers with a redirect: the page loads again before Aki goes on.
    with aki.expect_navigation():
        aki.click("#take-ticket")
    expect(aki.locator("#take-ticket")).to_have_count(0)
    expect(page.locator('[data-figure="unassigned"]')).to_have_text("2")
    aki.select_option("#id_status", "solved")
    aki.click("#save-fields")
    expect(aki.locator("#fields-form .saved")).to_be_visible()
    expect(page.locator('[data-figure="solved_today"]')).to_have_text("1")
    expect(page.locator('[data-figure="status_new"]')).to_have_text("1")
    screenshot(page, "reports-overview")

    # Aki's tab on the ticket page has opened a measured session; he adds a call by hand.
    assert WorkEntry.objects.filter(agent=desk["aki"], ticket=ticket, source="measured").exists()
    aki.click("#worktime-panel .worktime-edit summary")
    aki.fill("#worktime-minutes", "15")
    aki.fill("#worktime-note", "Puhelu asiakkaalle")
    aki.click("#worktime-save")
    expect(aki.locator("#worktime-panel .saved")).to_be_visible()
    expect(aki.locator("#worktime-panel [data-worktime-mine]")).to_have_text("15 min")
    aki.locator("#worktime-panel").scroll_into_view_if_needed()
    aki.click("#worktime-panel .worktime-changes summary")
    expect(aki.locator("#worktime-panel .worktime-changes")).to_contain_text("Puhelu asiakkaalle")
    screenshot(aki, "worktime-panel")

    # The number leads to the ticket list it counts.
    page.click("#fig-solved-today")
    expect(page.locator("#drilldown-note")).to_be_visible()
    expect(page.locator(".ticket-row")).to_have_count(1)
    expect(page.locator(".ticket-row")).to_contain_text("Kahvinkeitin vuotaa")
    screenshot(page, "reports-overview-drilldown")
