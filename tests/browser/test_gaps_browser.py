"""The finishing touches of issue #13 in a real browser: a contact's history,
deleting a mailbox, a user's own time zone, and selecting a whole view."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tiski.accounts.models import Role
from tiski.connectors.models import Mailbox
from tiski.customers.actions import get_or_create_contact
from tiski.tickets.models import BulkChange, Priority, Ticket

from ..conftest import PASSWORD
from .conftest import login, screenshot

pytestmark = pytest.mark.browser


def test_contact_edit_shows_in_its_history(new_page, make_user):
    make_user(name="Minna Virtanen", email="minna@yritys.fi", language="en")
    contact, _ = get_or_create_contact("email", "pekka@esimerkki.fi", name="Pekka")
    page = new_page()
    login(page, "minna@yritys.fi", PASSWORD)
    page.goto(f"/contacts/{contact.pk}/edit/")
    page.fill("#id_name", "Pekka Korhonen")
    page.fill("#id_notes", "Soittaa mieluiten aamuisin.")
    page.click("#contact-form button[type=submit]")
    history = page.locator("#customer-history")
    expect(history).to_contain_text("Minna Virtanen")
    expect(history).to_contain_text("Changed the name from “Pekka” to “Pekka Korhonen”.")
    expect(history).to_contain_text("Wrote notes: “Soittaa mieluiten aamuisin.”")
    history.scroll_into_view_if_needed()
    screenshot(page, "gaps-contact-history")


def test_deleting_a_mailbox_explains_then_deletes(new_page, make_user):
    make_user(role=Role.ADMIN, email="anna@yritys.fi", name="Anna Admin", language="fi")
    Mailbox.objects.create(address="tuki@yritys.fi")
    extra = Mailbox.objects.create(address="vanha@yritys.fi")
    page = new_page()
    login(page, "anna@yritys.fi", PASSWORD)
    page.goto(f"/settings/mailboxes/{extra.pk}/")
    page.click("#delete")
    expect(page.locator("#delete-consequences")).to_contain_text("Tiketit ja niiden viestit")
    screenshot(page, "gaps-mailbox-delete")
    page.click("#confirm-delete")
    expect(page.locator(".flash")).to_contain_text("vanha@yritys.fi")
    assert not Mailbox.objects.filter(pk=extra.pk).exists()


def test_a_user_picks_a_time_zone_in_preferences(new_page, make_user):
    make_user(name="Minna Virtanen", email="minna@yritys.fi", language="en")
    page = new_page()
    login(page, "minna@yritys.fi", PASSWORD)
    page.click("#account-menu summary")
    page.click("#preferences-link")
    page.select_option("#id_time_zone", "America/New_York")
    page.click("#save-preferences")
    expect(page.locator(".flash")).to_contain_text("Times are shown in America/New_York.")
    expect(page.locator("#current-time")).to_contain_text("America/New_York")
    screenshot(page, "gaps-preferences")


def test_select_all_matching_tickets_across_pages(new_page, make_user, make_ticket, settings):
    """Tick the page's rows, take the offer of all matching, change their priority;
    every high-priority ticket of the view changes, the normal one does not."""
    settings.TISKI_PAGE_SIZE = 3
    make_user(name="Minna Virtanen", email="minna@yritys.fi", language="en")
    high = [make_ticket(subject=f"Kiireellinen asia {i}", priority=Priority.HIGH) for i in range(5)]
    normal = make_ticket(subject="Tavallinen asia", priority=Priority.NORMAL)
    page = new_page()
    login(page, "minna@yritys.fi", PASSWORD)
    page.goto("/?view=open&priority=high")
    expect(page.locator(".ticket-row")).to_have_count(3)
    page.click("#bulk-select-all")
    offer = page.locator("#bulk-select-matching")
    expect(offer).to_have_text("Select all 5 matching tickets")
    expect(page.locator("#bulk-matching")).to_contain_text("(at most 5000 at a time)")
    screenshot(page, "gaps-select-all-offer")
    offer.click()
    expect(page.locator("#bulk-merge")).to_be_hidden()
    expect(page.locator("#bulk-count")).to_have_text("All 5 matching tickets selected")
    screenshot(page, "gaps-select-all-matching")
    page.select_option("#bulk-priority", "low")
    page.click("#bulk-apply")
    expect(page.locator("#bulk-done")).to_contain_text("5 tickets changed.")
    assert set(
        Ticket.objects.filter(pk__in=[t.pk for t in high]).values_list("priority", flat=True)
    ) == {"low"}
    assert Ticket.objects.get(pk=normal.pk).priority == Priority.NORMAL
    assert BulkChange.objects.count() == 1
