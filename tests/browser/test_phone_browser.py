"""The phone channel in a real browser: the screen pop, and the Monday-email/Tuesday-call story."""

from __future__ import annotations

import hashlib
import importlib
import json
import re
import urllib.request

import pytest
from django.apps import apps
from playwright.sync_api import expect

from tiski.customers.actions import add_identity
from tiski.tickets.models import MessageKind, Ticket

from ..conftest import PASSWORD
from .conftest import login, screenshot

pytestmark = pytest.mark.browser

MONDAY_EMAIL = b"""From: Liisa Lahtinen <liisa@asiakas.fi>
To: tuki@tiski.example
Subject: Kahvinkeitin vuotaa
Message-ID: <monday-1@asiakas.fi>
Date: Mon, 23 Nov 2026 09:12:00 +0200
Content-Type: text/plain; charset=utf-8

Hei, uusi kahvinkeittimemme vuotaa vett\xc3\xa4 p\xc3\xb6yd\xc3\xa4lle.
Soitan huomenna, numeroni on 040 123 4567.

Liisa
"""


@pytest.fixture(autouse=True)
def shipped_sla(transactional_db):
    importlib.import_module(
        "tiski.sla.migrations.0002_default_calendar_and_policy"
    ).create_defaults(apps, None)
    callback_sla = importlib.import_module("tiski.connectors.phone.migrations.0002_callback_sla")
    callback_sla.create_policy(apps, None)


@pytest.fixture
def phone_desk(make_user, make_team):
    from tiski.connectors.phone.models import PhoneLine

    team = make_team("Asiakastuki")
    minna = make_user(teams=(team,), name="Minna Virtanen", email="minna@yritys.fi")
    jukka = make_user(teams=(team,), name="Jukka Korhonen", email="jukka@yritys.fi")
    line = PhoneLine.objects.create(number="+358942410000", name="Tuki", team=team)
    return {"team": team, "minna": minna, "jukka": jukka, "line": line}


def send_event(base_url: str, token: str, payload: dict) -> dict:
    """The telephony system's side: a plain HTTP POST to the running server."""
    request = urllib.request.Request(
        f"{base_url}/phone/events/",
        data=json.dumps(payload).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_screen_pop_reaches_the_answering_agent_only(new_page, asgi_server, phone_desk):
    """Two agents online; Jukka answers; only Jukka's browser pops."""
    minna_page, jukka_page = new_page(), new_page()
    login(minna_page, "minna@yritys.fi", PASSWORD)
    login(jukka_page, "jukka@yritys.fi", PASSWORD)
    token = phone_desk["line"].token
    send_event(asgi_server, token, {"call_id": "pop-1", "event": "ringing", "from": "050 555 0101"})
    send_event(
        asgi_server,
        token,
        {"call_id": "pop-1", "event": "answered", "agent": {"email": "jukka@yritys.fi"}},
    )
    pop = jukka_page.locator("#phone-pop .phone-pop")
    expect(pop).to_be_visible()
    # Finnish UI once the catalogue has the string; the English source until then.
    expect(pop).to_contain_text(re.compile("Tuntematon numero|Unknown number"))
    expect(pop).to_contain_text("+358 50 5550101")
    screenshot(jukka_page, "phone-pop-unknown")
    minna_page.wait_for_timeout(700)
    expect(minna_page.locator("#phone-pop")).to_be_hidden()
    expect(minna_page.locator("#phone-pop .phone-pop")).to_have_count(0)


def test_monday_email_tuesday_call(new_page, asgi_server, phone_desk):
    """The email makes a ticket; the call from Liisa's phone pops it; the call is logged on it."""
    from tiski.connectors.email.intake import accept, process_receipt
    from tiski.connectors.models import Mailbox

    mailbox = Mailbox.objects.create(
        address="tuki@tiski.example", display_name="Tiski Tuki", default_team=phone_desk["team"]
    )
    receipt, _created = accept(
        source="test",
        key=hashlib.sha256(MONDAY_EMAIL).hexdigest(),
        raw=MONDAY_EMAIL,
        mailbox=mailbox,
        schedule=False,
    )
    process_receipt(receipt.pk)
    ticket = Ticket.objects.get(subject="Kahvinkeitin vuotaa")
    liisa = ticket.requester
    add_identity(liisa, "phone", "040 123 4567")  # the agent noted the number from the email

    page = new_page()
    login(page, "minna@yritys.fi", PASSWORD)
    send_event(
        asgi_server,
        phone_desk["line"].token,
        {
            "call_id": "tue-1",
            "event": "ringing",
            "timestamp": "2026-11-24T07:40:00Z",
            "from": "+358401234567",
            "to": "+358942410000",
            "agent": {"email": "minna@yritys.fi"},
        },
    )
    pop = page.locator("#phone-pop .phone-pop")
    expect(pop).to_contain_text("Liisa Lahtinen")
    expect(pop.locator(f"input[name=ticket][value='{ticket.number}']")).to_be_checked()
    expect(pop).to_contain_text("Kahvinkeitin vuotaa")
    send_event(
        asgi_server,
        phone_desk["line"].token,
        {
            "call_id": "tue-1",
            "event": "answered",
            "timestamp": "2026-11-24T07:40:12Z",
            "agent": {"email": "minna@yritys.fi"},
        },
    )
    expect(page.locator("#phone-pop .phone-pop[data-phase=answered]")).to_be_visible()
    pop.locator("textarea[name=note]").fill("Soitti junasta: vuoto jatkuu, lähetetään tiiviste.")
    screenshot(page, "phone-pop-known")
    pop.locator("button.phone-pop-log").click()
    page.wait_for_url(f"**/tickets/{ticket.number}/**")
    expect(page.locator(".msg-customer")).to_contain_text("vuotaa vettä")
    call_message = page.locator(".msg-call")
    expect(call_message).to_contain_text("Soitti junasta")
    expect(call_message.locator(".call-meta")).to_contain_text("+358401234567")
    expect(call_message.locator(".call-meta")).to_contain_text("Minna Virtanen")
    screenshot(page, "ticket-email-and-call")
    # The side panel leads to the customer's timeline, which shows both channels.
    page.click("#customer-timeline-link")
    expect(page.locator("#customer-timeline .tl-item")).to_have_count(2)
    assert ticket.messages.filter(kind=MessageKind.CALL, author_user=phone_desk["minna"]).exists()
