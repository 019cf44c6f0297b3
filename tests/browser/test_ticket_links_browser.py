"""A forwarded thread from a stranger, and an out-of-office reply, as an agent sees them."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tiski.connectors.email.intake import accept, process_receipt
from tiski.connectors.models import Mailbox

from ..conftest import PASSWORD
from .conftest import login, screenshot

pytestmark = pytest.mark.browser


def receive(mailbox: Mailbox, raw: str, key: str):
    receipt, _created = accept(
        source="test", key=key, raw=raw.encode(), mailbox=mailbox, schedule=False
    )
    return process_receipt(receipt.pk).receipt


def test_the_stranger_gets_a_linked_ticket_and_the_out_of_office_a_note(
    new_page, make_user, make_team
):
    make_user(name="Minna Agentti", email="agentti@yritys.fi", language="fi")
    mailbox = Mailbox.objects.create(address="tuki@tiski.example")
    first = receive(
        mailbox,
        "From: Liisa Lahtinen <liisa@asiakas.fi>\nTo: tuki@tiski.example\n"
        "Subject: Keitin vuotaa\nMessage-ID: <k1@asiakas.fi>\n\nKeitin vuotaa vettä.\n",
        "k1",
    )
    forward = receive(
        mailbox,
        "From: Kalle Kolmas <kalle@muualla.fi>\nTo: tuki@tiski.example\n"
        "Subject: Fw: Keitin vuotaa\nMessage-ID: <f1@muualla.fi>\n"
        "References: <k1@asiakas.fi>\n\nMinulla on samanlainen keitin, mutta eri vika.\n",
        "f1",
    )
    receive(
        mailbox,
        "From: Liisa Lahtinen <liisa@asiakas.fi>\nTo: tuki@tiski.example\n"
        "Subject: Poissa toimistolta\nMessage-ID: <o1@asiakas.fi>\n"
        "Auto-Submitted: auto-replied\n\nOlen lomalla 16.6. asti.\n",
        "o1",
    )
    old, new = first.ticket, forward.ticket
    assert old.pk != new.pk

    page = new_page()
    login(page, "agentti@yritys.fi", PASSWORD)
    page.goto(new.get_absolute_url())
    links = page.locator("#ticket-links")
    expect(links.locator("[data-link='mentions']")).to_contain_text(f"#{old.number}")
    expect(page.locator(f"[data-not-participant='{old.number}']")).to_be_visible()
    screenshot(page, "ticket-link-stranger")

    links.locator("[data-link='mentions'] a").click()
    page.wait_for_url(re.compile(rf"/tickets/{old.number}/$"))
    expect(page.locator("#ticket-links [data-link='mentioned-by']")).to_contain_text(
        f"#{new.number}"
    )
    expect(page.locator(".msg-system")).to_contain_text("Olen lomalla")
    screenshot(page, "ticket-link-original-with-out-of-office")
