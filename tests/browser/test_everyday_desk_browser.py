"""The everyday desk in a real browser: bulk changes with undo, child tickets, contacts."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tiski.customers.models import Contact
from tiski.tickets.models import BulkChange, Priority, Status, Ticket

from ..conftest import PASSWORD
from .conftest import login, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def desk(make_user, make_team, make_ticket, make_contact):
    team = make_team("Asiakastuki")
    varasto = make_team("Varasto")
    minna = make_user(teams=(team, varasto), name="Minna Virtanen", email="minna@yritys.fi")
    pekka = make_user(teams=(team,), name="Pekka Korhonen", email="pekka@yritys.fi")
    tickets = [
        make_ticket(
            subject=subject,
            requester=make_contact(name=name),
            team=team,
            priority=priority,
        )
        for subject, name, priority in (
            ("Lasku on väärin", "Liisa Lahtinen", Priority.NORMAL),
            ("Toimitus myöhässä", "Olli Ojala", Priority.LOW),
            ("Salasana ei toimi", "Aino Aalto", Priority.HIGH),
            ("Kiitos nopeasta avusta", "Eero Esko", Priority.NORMAL),
        )
    ]
    return {"team": team, "varasto": varasto, "minna": minna, "pekka": pekka, "tickets": tickets}


def _state(ticket: Ticket) -> tuple:
    ticket.refresh_from_db()
    return (ticket.assignee_id, ticket.priority, ticket.status)


def test_bulk_select_change_and_undo(new_page, desk):
    """Tick one row, shift-click a range, add one with `x`, change assignee and
    priority for all, then undo from the confirmation: the old values are back."""
    tickets = desk["tickets"]
    before = {t.pk: _state(t) for t in tickets}
    page = new_page()
    login(page, "minna@yritys.fi", PASSWORD)
    page.goto("/?view=open")
    rows = page.locator(".ticket-row")
    expect(rows).to_have_count(4)
    expect(page.locator("#bulk-form")).to_be_hidden()

    rows.nth(0).locator("[data-bulk-select]").click()
    rows.nth(2).locator("[data-bulk-select]").click(modifiers=["Shift"])
    expect(page.locator("#bulk-form")).to_be_visible()
    expect(page.locator("[data-bulk-select]:checked")).to_have_count(3)
    # j four times lands on the last row; x ticks it.
    page.locator("body").click(position={"x": 5, "y": 5})
    for _ in range(4):
        page.keyboard.press("j")
    page.keyboard.press("x")
    expect(page.locator("[data-bulk-select]:checked")).to_have_count(4)
    expect(page.locator("#bulk-select-all")).to_be_checked()
    expect(page.locator("#bulk-count")).to_contain_text("4")

    page.select_option("#bulk-assignee", str(desk["pekka"].pk))
    page.select_option("#bulk-priority", Priority.URGENT)
    page.fill("#bulk-form [name=add_tags]", "kiire")
    screenshot(page, "bulk-bar")
    page.click("#bulk-apply")

    expect(page.locator("#bulk-done")).to_be_visible()
    screenshot(page, "bulk-done")
    for ticket in tickets:
        assert _state(ticket)[:2] == (desk["pekka"].pk, Priority.URGENT)
        assert ticket.tags.filter(name="kiire").exists()

    page.click("#bulk-undo")
    expect(page.locator(".flash").first).to_be_visible()
    screenshot(page, "bulk-undone")
    for ticket in tickets:
        assert _state(ticket) == before[ticket.pk]
        assert not ticket.tags.filter(name="kiire").exists()
    assert BulkChange.objects.get().undone_at is not None


def test_bulk_merge_picks_the_ticket_to_keep(new_page, desk):
    first, second = desk["tickets"][:2]
    page = new_page()
    login(page, "minna@yritys.fi", PASSWORD)
    page.goto("/?view=open")
    page.locator(f".ticket-row[data-ticket-id='{first.pk}'] [data-bulk-select]").click()
    page.locator(f".ticket-row[data-ticket-id='{second.pk}'] [data-bulk-select]").click()
    page.click("#bulk-merge")
    expect(page.locator("#bulk-merge-confirm")).to_be_visible()
    page.check(f"[data-bulk-target='{second.number}']")
    screenshot(page, "bulk-merge-confirm")
    page.click("#bulk-merge-go")
    expect(page.locator("#bulk-done")).to_be_visible()
    first.refresh_from_db()
    assert first.status == Status.CLOSED


def test_new_child_ticket_from_the_ticket_page(new_page, desk):
    parent = desk["tickets"][1]
    page = new_page()
    login(page, "minna@yritys.fi", PASSWORD)
    page.goto(parent.get_absolute_url())
    page.click("#new-child-link")
    page.fill("#id_subject", "Tarkista lähetyksen seuranta")
    page.select_option("#id_team", str(desk["varasto"].pk))
    page.fill("#id_brief", "Asiakas odottaa pakettia. Katsokaa missä se on.")
    screenshot(page, "child-ticket-form")
    page.click("#create-child")

    child = Ticket.objects.get(parent=parent)
    page.wait_for_url(re.compile(rf"/tickets/{child.number}/$"))
    expect(page.locator("#parent-link a")).to_have_attribute("href", parent.get_absolute_url())
    expect(page.locator("#conversation")).to_contain_text("Katsokaa missä se on.")
    screenshot(page, "child-ticket")
    page.click("#parent-link a")
    children = page.locator("#child-tickets")
    expect(children.locator(f"[data-child='{child.number}']")).to_contain_text("Varasto")
    children.scroll_into_view_if_needed()
    screenshot(page, "parent-with-child")


def test_create_a_contact_and_meet_a_duplicate(new_page, desk, make_contact):
    owner = make_contact(email="yhteinen@esimerkki.fi", name="Maija Virta")
    page = new_page()
    login(page, "minna@yritys.fi", PASSWORD)
    page.goto("/contacts/")
    page.click("#new-contact")
    page.fill("#id_name", "Maija Meikäläinen")
    page.locator("[name=emails]").last.fill("maija@esimerkki.fi")
    page.click("[data-list-inputs]:has([name=emails]) [data-list-add]")
    page.locator("[name=emails]").last.fill("maija.m@gmail.com")
    page.locator("[name=phones]").last.fill("040 123 4567")
    screenshot(page, "contact-form")
    page.click("#save-contact")

    contact = Contact.objects.get(name="Maija Meikäläinen")
    page.wait_for_url(re.compile(rf"/contacts/{contact.pk}/$"))
    expect(page.locator(".profile")).to_contain_text("maija.m@gmail.com")
    assert sorted(contact.emails) == ["maija.m@gmail.com", "maija@esimerkki.fi"]

    page.click("#edit-contact")
    page.click("[data-list-inputs]:has([name=emails]) [data-list-add]")
    page.locator("[name=emails]").last.fill("yhteinen@esimerkki.fi")
    page.click("#save-contact")
    expect(page.locator(f"#identity-taken [data-taken-owner='{owner.pk}']")).to_contain_text(
        "Maija Virta"
    )
    screenshot(page, "contact-duplicate")
    page.click(f"[data-merge-owner='{owner.pk}']")
    expect(page.locator(".flash").first).to_be_visible()
    assert "yhteinen@esimerkki.fi" in Contact.objects.get(pk=contact.pk).emails
