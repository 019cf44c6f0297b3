"""The ticket page shows other systems' cards: a link, a CRM's data, and a quiet error."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import login, screenshot
from tests.conftest import PASSWORD
from tests.sidepanel.conftest import FakeCrm
from tiski.sidepanel.models import CardKind, SidePanelCard


def test_cards_load_beside_the_ticket(new_page, make_user, make_team, make_ticket, make_contact):
    crm = FakeCrm()
    try:
        crm.route("/asiakkaat", {"Asiakasnumero": "A-1001", "Segmentti": "Kanta-asiakas"})
        crm.route("/tilaukset", {"error": "down"}, status=503)
        SidePanelCard.objects.create(
            name="Verkkokauppa",
            url_template="https://kauppa.example/admin?email={{requester.email}}",
            position=1,
        )
        SidePanelCard.objects.create(
            name="CRM",
            kind=CardKind.JSON,
            url_template=crm.url + "/asiakkaat?email={{requester.email}}",
            position=2,
        )
        SidePanelCard.objects.create(
            name="Tilaukset",
            kind=CardKind.JSON,
            url_template=crm.url + "/tilaukset?email={{requester.email}}",
            position=3,
        )
        team = make_team("Tuki")
        make_user(name="Aino Agentti", email="aino@yritys.fi", teams=(team,), language="en")
        customer = make_contact(email="maija+kauppa@example.com", name="Maija")
        ticket = make_ticket(subject="Tilaus viipyy", team=team, requester=customer)

        page = new_page()
        login(page, "aino@yritys.fi", PASSWORD)
        page.goto(f"/tickets/{ticket.number}/")
        cards = page.locator("#side-panel-cards")
        link = cards.locator(".integration-link")
        expect(link).to_have_attribute(
            "href", "https://kauppa.example/admin?email=maija%2Bkauppa%40example.com"
        )
        crm_card = cards.locator(".integration-card", has_text="CRM")
        expect(crm_card.locator(".integration-values")).to_contain_text("A-1001")
        expect(crm_card.locator(".integration-values")).to_contain_text("Kanta-asiakas")
        expect(cards.locator(".integration-card", has_text="Tilaukset")).to_contain_text(
            "could not be reached or answered with an error"
        )
        cards.scroll_into_view_if_needed()
        screenshot(page, "side-panel-cards")
        assert any(r["path"].startswith("/asiakkaat?email=maija%2Bkauppa") for r in crm.requests)
    finally:
        crm.close()
