"""The ticket page follows side-panel changes without a reload; the layout at 1280 and 390 px."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from ..conftest import PASSWORD
from .conftest import login, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def desk(make_user, make_team, make_ticket, make_contact):
    team = make_team("Asiakastuki")
    minna = make_user(teams=(team,), name="Minna Virtanen", email="minna@yritys.fi")
    jukka = make_user(teams=(team,), name="Jukka Korhonen", email="jukka@yritys.fi")
    customer = make_contact(email="liisa@asiakas.fi", name="Liisa Lahtinen")
    ticket = make_ticket(
        subject="Kahvinkeitin vuotaa",
        text="Keitin vuotaa vettä pöydälle.",
        requester=customer,
        team=team,
        priority="normal",
    )
    return {"minna": minna, "jukka": jukka, "ticket": ticket, "team": team}


def test_side_panel_save_updates_header_conversation_and_colleagues_bell(new_page, desk):
    ticket = desk["ticket"]
    jukka_page = new_page()
    login(jukka_page, "jukka@yritys.fi", PASSWORD)
    page = new_page()
    login(page, "minna@yritys.fi", PASSWORD)
    page.goto(ticket.get_absolute_url())
    expect(page.locator("#ticket-head .badge")).to_have_text("Uusi")

    page.select_option("#id_status", "pending")
    page.select_option("#id_priority", "urgent")
    page.select_option("#id_assignee", str(desk["jukka"].pk))
    page.click("#save-fields")
    expect(page.locator("#fields-form .saved")).to_be_visible()
    # Header badges and the conversation's events changed in place, no reload.
    expect(page.locator("#ticket-head .badge")).to_have_text("Odottaa")
    expect(page.locator("#ticket-head .prio")).to_contain_text("Kiireellinen")
    expect(page.locator(".sys-event").last).to_contain_text("Jukka Korhonen")
    expect(page.locator("#conversation")).to_contain_text("Odottaa")
    screenshot(page, "side-panel-refresh")

    # Jukka's bell says who gave him the ticket.
    jukka_page.click("#bell summary")
    expect(jukka_page.locator("#bell-panel")).to_contain_text("Minna Virtanen")
    expect(jukka_page.locator("#bell-panel")).to_contain_text("#" + str(ticket.number))
