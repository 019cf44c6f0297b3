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
    jukka_page.goto(ticket.get_absolute_url())
    # Waited on from Playwright's side: a polled page function would be an
    # eval, which the desk's Content-Security-Policy rightly refuses.
    expect(jukka_page.locator("body")).to_have_attribute("data-live", "on")
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

    # A colleague with the ticket open sees the change live, without reloading.
    expect(jukka_page.locator("#ticket-head .badge")).to_have_text("Odottaa")
    expect(jukka_page.locator("#conversation")).to_contain_text("Minna Virtanen")
    # Jukka's bell counts the notice at once and says who gave him the ticket.
    expect(jukka_page.locator("#bell-count .bell-badge")).to_have_text("1")
    jukka_page.click("#bell summary")
    expect(jukka_page.locator("#bell-panel")).to_contain_text("Minna Virtanen")
    expect(jukka_page.locator("#bell-panel")).to_contain_text("#" + str(ticket.number))


def test_top_bar_fits_at_1280_and_collapses_on_a_phone(new_page, desk, make_user):
    ticket = desk["ticket"]
    # An admin has the longest bar (Settings too), in Finnish.
    make_user(role="admin", name="Anna Admin", email="anna@yritys.fi")
    page = new_page({"width": 1280, "height": 800})
    login(page, "anna@yritys.fi", PASSWORD)
    page.goto(ticket.get_absolute_url())
    bar = page.locator(".topbar")
    # One row: the bar is no taller than its controls, nothing spills out sideways.
    assert bar.bounding_box()["height"] < 60, bar.bounding_box()
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    expect(page.locator(".mainnav a").first).to_be_visible()
    expect(page.locator("#ticket-head .chan svg")).to_be_visible()
    screenshot(page, "layout-1280-ticket")
    page.goto("/?view=open")
    page.click("#account-menu summary")
    expect(page.locator("#language-select")).to_be_visible()
    screenshot(page, "layout-1280-inbox")
    # The language select submits itself (no inline handler).
    page.select_option("#language-select", "en")
    expect(page.locator(".mainnav")).to_contain_text("Contacts")

    phone = new_page({"width": 390, "height": 844})
    login(phone, "minna@yritys.fi", PASSWORD)
    phone.goto(ticket.get_absolute_url())
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    expect(phone.locator(".mainnav a").first).to_be_hidden()
    phone.click("#menu-toggle")
    expect(phone.locator(".mainnav a").first).to_be_visible()
    screenshot(phone, "layout-390-menu")
    phone.click("#menu-toggle")
    # The side panel (status, assignee) comes before the composer on a phone.
    panel = phone.locator("#side-panel").bounding_box()
    composer = phone.locator("#composer").bounding_box()
    assert panel["y"] < composer["y"]
    screenshot(phone, "layout-390-ticket")
    phone.goto("/?view=open")
    expect(phone.locator(".ticket-row")).to_have_count(1)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "layout-390-inbox")


@pytest.fixture
def long_ticket(desk):
    """The desk's ticket with a conversation longer than the page's window."""
    from tiski.desk.timeline import PAGE_MESSAGES
    from tiski.tickets import actions
    from tiski.tickets.models import MessageKind, Via

    ticket = desk["ticket"]
    for n in range(1, PAGE_MESSAGES + 10):
        actions.add_message(
            ticket,
            kind=MessageKind.INTERNAL,
            actor=desk["minna"],
            via=Via.AGENT,
            text=f"Välihuomio numero {n}",
        )
    return ticket


def _colleague_on(new_page, ticket):
    page = new_page()
    login(page, "jukka@yritys.fi", PASSWORD)
    page.goto(ticket.get_absolute_url())
    return page


def test_live_refreshes_keep_the_older_messages_the_agent_loaded(new_page, desk, long_ticket):
    """Older messages loaded on demand stay on the page when the conversation
    refreshes: a colleague's change, a new message shown from the banner, the
    agent's own side-panel save."""
    ticket = long_ticket
    first = ticket.messages.order_by("created_at", "pk").first()
    page = new_page()
    login(page, "minna@yritys.fi", PASSWORD)
    page.goto(ticket.get_absolute_url())
    oldest = page.locator(f"#message-{first.pk}")
    expect(oldest).to_have_count(0)
    page.click("#older-messages button")
    expect(oldest).to_be_visible()
    expect(page.locator("#older-messages")).to_have_count(0)

    colleague = _colleague_on(new_page, ticket)
    # A change without a message reloads the conversation by itself.
    colleague.select_option("#id_priority", "urgent")
    colleague.click("#save-fields")
    expect(page.locator("#ticket-head .prio")).to_contain_text("Kiireellinen")
    expect(page.locator(".sys-event").last).to_contain_text("Jukka Korhonen")
    expect(oldest).to_be_visible()
    expect(page.locator("#older-messages")).to_have_count(0)

    # A new message: the banner, then "Show it" adds it and keeps the rest.
    colleague.fill("#id_text", "Tuore huomio kollegalta")
    colleague.click("#send-button")
    expect(page.locator("#live-banner")).to_be_visible()
    page.click("#live-banner [data-reload-conversation]")
    expect(page.locator("#conversation")).to_contain_text("Tuore huomio kollegalta")
    expect(oldest).to_be_visible()

    # The agent's own side-panel save refreshes the conversation out of band.
    page.select_option("#id_status", "pending")
    page.click("#save-fields")
    expect(page.locator("#fields-form .saved")).to_be_visible()
    expect(page.locator("#conversation")).to_contain_text("Odottaa")
    expect(oldest).to_be_visible()


def test_a_live_refresh_keeps_the_linked_old_message(new_page, desk, long_ticket):
    """A page opened on ?message=<an old message> still shows it after a refresh."""
    ticket = long_ticket
    linked = ticket.messages.order_by("created_at", "pk")[1]
    page = new_page()
    login(page, "minna@yritys.fi", PASSWORD)
    page.goto(linked.get_absolute_url())
    expect(page.locator(f"#message-{linked.pk}")).to_be_visible()

    colleague = _colleague_on(new_page, ticket)
    colleague.select_option("#id_priority", "low")
    colleague.click("#save-fields")
    expect(page.locator("#ticket-head .prio")).to_contain_text("Matala")
    expect(page.locator(f"#message-{linked.pk}")).to_be_visible()
