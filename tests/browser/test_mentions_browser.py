"""Agent A mentions B in a note; B's bell shows it live and opens the note."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import login, screenshot
from tests.conftest import PASSWORD


def test_a_mention_reaches_the_bell_live_and_opens_the_note(
    new_page, make_user, make_team, make_ticket
):
    team = make_team("Tuki")
    make_user(name="Aino Agentti", email="aino@yritys.fi", teams=(team,), language="en")
    make_user(name="Bertta Berg", email="bertta@yritys.fi", teams=(team,), language="en")
    ticket = make_ticket(subject="Lasku puuttuu", team=team)

    bertta = new_page()
    login(bertta, "bertta@yritys.fi", PASSWORD)
    expect(bertta.locator("#bell-count")).to_be_empty()

    aino = new_page()
    login(aino, "aino@yritys.fi", PASSWORD)
    aino.goto(f"/tickets/{ticket.number}/")
    aino.check("input[name=kind][value=internal]")
    aino.click("#id_text")
    aino.keyboard.type("Katso tämä @bert")
    # The suggestion comes from the server (htmx); picking it writes the handle.
    aino.click("#mention-results [data-mention=bertta]")
    expect(aino.locator("#id_text")).to_have_value("Katso tämä @bertta ")
    aino.keyboard.type("ja tarkista summa.")
    screenshot(aino, "mention-autocomplete")
    aino.click("#send-button")
    expect(aino.locator(".flash")).to_contain_text("Internal note added.")

    # Bertta's page was not reloaded: the websocket push refreshes the bell.
    expect(bertta.locator("#bell-count .bell-badge")).to_have_text("1")
    bertta.click("#bell summary")
    notice = bertta.locator("#bell-panel .notice-mention a")
    expect(notice).to_contain_text("Aino Agentti mentioned you")
    screenshot(bertta, "mention-bell")
    notice.click()
    bertta.wait_for_url(f"**/tickets/{ticket.number}/#message-*")
    expect(bertta.locator(".conversation")).to_contain_text("ja tarkista summa.")
    note_id = bertta.url.rsplit("#message-", 1)[1]
    expect(bertta.locator(f"#message-{note_id}")).to_contain_text("@bertta")
