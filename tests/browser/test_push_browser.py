"""Preferences → Browser notifications in Chromium: the service worker registers
under the desk's Content-Security-Policy and the page says how it went.

Headless Chromium has no push service to subscribe at (that is the browser
maker's server), so the subscription itself is the last step that cannot
succeed here; the push delivery is tested against a local push service in
tests/desk/test_webpush.py.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import login, screenshot
from tests.conftest import PASSWORD


def test_turning_on_browser_notifications_registers_the_worker(new_page, make_user, make_team):
    team = make_team("Tuki")
    make_user(name="Bertta Berg", email="bertta@yritys.fi", teams=(team,), language="fi")
    page = new_page()
    page.context.grant_permissions(["notifications"])
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    login(page, "bertta@yritys.fi", PASSWORD)
    page.goto("/preferences/")
    expect(page.locator("#push-settings h2")).to_have_text("Selaimen ilmoitukset")
    expect(page.locator("#id_mail-frequency")).to_be_visible()
    page.click("#push-enable")
    status = page.locator("#push-status")
    # Subscribed (a browser with a push service) or told plainly it did not work.
    expect(status).to_have_text(
        re.compile("Tämä selain näyttää nyt ilmoituksesi|Ilmoitusten käyttöönotto ei onnistunut"),
        timeout=20_000,
    )
    registered = page.evaluate(
        "() => navigator.serviceWorker.getRegistrations()"
        ".then((found) => found.map((r) => (r.active || r.installing || r.waiting).scriptURL))"
    )
    assert len(registered) == 1 and "push-sw" in (registered[0] or "")
    assert not [e for e in errors if "Content Security Policy" in e]
    screenshot(page, "preferences-push")
