"""An agent starts a side conversation from the ticket page and closes it (htmx panel)."""

from __future__ import annotations

from aiosmtpd.controller import Controller
from playwright.sync_api import expect

from tests.browser.conftest import login, screenshot
from tests.conftest import PASSWORD
from tests.connectors.email.test_outbound import CaptureHandler, free_port
from tiski.connectors.models import Mailbox, SideConversation


def test_start_and_close_a_side_conversation_in_the_panel(
    new_page, make_user, make_team, make_ticket, make_contact
):
    handler = CaptureHandler(port=free_port())
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port)
    controller.start()
    try:
        Mailbox.objects.create(
            address="tuki@tiski.example",
            outbound_method="smtp",
            smtp_host="127.0.0.1",
            smtp_port=handler.port,
            smtp_security="none",
        )
        team = make_team("Tuki")
        make_user(name="Aino Agentti", email="aino@yritys.fi", teams=(team,), language="en")
        customer = make_contact(email="maija@example.com", name="Maija")
        ticket = make_ticket(subject="Rikkinäinen keitin", team=team, requester=customer)

        page = new_page()
        login(page, "aino@yritys.fi", PASSWORD)
        page.goto(f"/tickets/{ticket.number}/")
        panel = page.locator("#side-conversations")
        expect(panel).to_contain_text("No side conversations.")
        page.click("#side-conversations .side-start summary")
        page.fill("#side-start-form [name=to]", "varasto@toimittaja.example")
        page.fill("#side-start-form [name=subject]", "Varaosa")
        page.fill("#side-start-form [name=text]", "Milloin varaosa lähtee?")
        page.click("#side-start-form button[type=submit]")
        # htmx swapped the panel in place: the thread is there, the page did not reload.
        expect(panel.locator(".side-conversation")).to_contain_text("Milloin varaosa lähtee?")
        expect(panel.locator(".side-conversation summary")).to_contain_text("Varaosa")
        screenshot(page, "side-conversation")
        conversation = SideConversation.objects.get()
        assert [r.rcpt_tos for r in handler.received] == [["varasto@toimittaja.example"]]

        panel.locator("[data-side-close]").click()
        expect(panel.locator(f"#side-{conversation.pk}")).to_have_attribute("data-status", "closed")
        conversation.refresh_from_db()
        assert conversation.status == "closed"
    finally:
        controller.stop()
