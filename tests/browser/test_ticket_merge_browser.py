"""Merging a ticket from the ticket page in a real browser, and undoing it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tiski.tickets import actions
from tiski.tickets.models import MessageKind, Status, Ticket, TicketMerge, Via

from ..conftest import PASSWORD
from .conftest import login, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def two_tickets(make_user, make_team, make_contact, make_ticket):
    team = make_team("Asiakastuki")
    minna = make_user(teams=(team,), name="Minna Virtanen", email="minna@yritys.fi")
    liisa = make_contact(email="liisa@asiakas.fi", name="Liisa Lahtinen")
    source = make_ticket(
        subject="Keitin vuotaa", text="Keitin vuotaa vettä.", requester=liisa, team=team
    )
    actions.add_message(
        source,
        kind=MessageKind.PUBLIC,
        actor=minna,
        via=Via.AGENT,
        text="Lähetämme uuden tiivisteen.",
    )
    target = make_ticket(
        subject="Vuotava kahvinkeitin",
        text="Kirjoitin jo aiemmin keittimestä.",
        requester=liisa,
        team=team,
    )
    return {"source": source, "target": target}


def test_merge_and_undo_from_the_ticket_page(new_page, two_tickets):
    """Merge into the requester's other ticket, see the conversation there, undo it."""
    source, target = two_tickets["source"], two_tickets["target"]
    page = new_page()
    login(page, "minna@yritys.fi", PASSWORD)
    page.goto(source.get_absolute_url())
    page.click("#merge-ticket-link")
    page.check(f"[data-merge-target='{target.number}']")
    page.click("#merge-next")
    expect(page.locator("#merge-confirm")).to_be_visible()
    expect(page.locator("#merge-confirm")).to_have_attribute("data-moving", "2")
    screenshot(page, "ticket-merge-confirm")
    page.click("#confirm-merge")

    page.wait_for_url(re.compile(rf"/tickets/{target.number}/$"))
    conversation = page.locator("#conversation")
    expect(conversation.locator(".msg-public")).to_contain_text("Lähetämme uuden tiivisteen.")
    expect(conversation.locator(".msg-customer")).to_have_count(2)
    expect(conversation.locator(".msg-system")).to_contain_text(f"#{source.number}")
    record = TicketMerge.objects.get()
    undo = page.locator(f"#ticket-merges [data-undo-merge='{record.pk}']")
    expect(undo).to_be_visible()
    screenshot(page, "ticket-merged")
    assert Ticket.objects.get(pk=source.pk).status == Status.CLOSED

    undo.click()
    page.wait_for_url(re.compile(rf"/tickets/{source.number}/$"))
    expect(page.locator("#conversation .msg-public")).to_contain_text("Lähetämme")
    expect(page.locator("#merged-note")).to_have_count(0)
    expect(page.locator("#reply-form")).to_be_visible()
    assert Ticket.objects.get(pk=source.pk).status != Status.CLOSED
    assert Ticket.objects.get(pk=target.pk).messages.filter(kind=MessageKind.PUBLIC).count() == 0
