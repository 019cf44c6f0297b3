"""axe-core in Debian's Chromium: no serious or critical accessibility violation on
the help centre's pages and the customer portal; the desk's inbox and ticket page
are held to the same line.

axe-core comes inside the `axe-playwright-python` wheel (its axe.min.js, read
from disk): nothing is fetched when the tests run. The script is put into the
page through Playwright's evaluate, which the page's Content-Security-Policy
does not govern, so the pages are checked with their real policy on.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import pytest
from django.utils import timezone

from tiski.customers.actions import save_organisation
from tiski.knowledge import actions as knowledge
from tiski.portal.models import PortalLink
from tiski.tickets import actions
from tiski.tickets.models import MessageKind, Via

from ..conftest import PASSWORD
from .conftest import login, screenshot

axe_playwright = pytest.importorskip("axe_playwright_python.sync_playwright")

BLOCKING = {"serious", "critical"}


def violations(page) -> list[str]:
    """The serious and critical violations on the page, one line each."""
    results = axe_playwright.Axe().run(page)
    found = []
    for violation in results.response["violations"]:
        if violation["impact"] in BLOCKING:
            targets = [" ".join(map(str, node["target"])) for node in violation["nodes"][:5]]
            found.append(f"{violation['id']} ({violation['impact']}): {targets}")
    return found


def _sign_in_link(contact) -> str:
    token = secrets.token_urlsafe(32)
    PortalLink.objects.create(
        contact=contact,
        token_hash=hashlib.sha256(token.encode()).hexdigest(),
        expires_at=timezone.now() + timedelta(minutes=30),
    )
    return f"/help/fi/portal/enter/{token}/"


def test_help_centre_and_portal_have_no_serious_violations(
    new_page, make_ticket, make_contact, make_user
):
    category = knowledge.create_category("laskutus", {"fi": {"name": "Laskutus"}})
    section = knowledge.create_section(category, "laskut", {"fi": {"name": "Laskut"}})
    article = knowledge.create_article(
        section=section,
        author=None,
        language="fi",
        title="Laskun eräpäivän siirtäminen",
        body_html="<h2>Näin siirrät</h2><ul><li>Avaa lasku</li></ul><p><a href='/'>Etusivu</a></p>",
        publish=True,
    )
    customer = make_contact(email="liisa@asiakas.example", name="Liisa Asiakas")
    ticket = make_ticket(subject="Kahvinkeitin vuotaa", requester=customer)
    actions.add_message(
        ticket,
        kind=MessageKind.PUBLIC,
        actor=make_user(),
        via=Via.AGENT,
        text="Kiitos viestistä, tutkimme asiaa.",
    )
    page = new_page()
    found: dict[str, list[str]] = {}
    for name, url in (
        ("home", "/help/fi/"),
        ("home-en", "/help/en/"),
        ("category", f"/help/fi/categories/{category.slug}/"),
        ("article", f"/help/fi/articles/{article.slug}/"),
        ("search", "/help/fi/search/?q=lasku"),
        ("contact-form", "/help/fi/request/"),
        ("not-found", "/help/fi/ei-ole/"),
        ("portal-sign-in", "/help/fi/portal/"),
    ):
        page.goto(url)
        found[name] = violations(page)
    page.goto(_sign_in_link(customer))
    page.wait_for_url("**/portal/requests/")
    found["portal-requests"] = violations(page)
    page.goto(f"/help/fi/portal/requests/{ticket.number}/")
    found["portal-request"] = violations(page)
    screenshot(page, "portal-request-axe")
    assert {name: v for name, v in found.items() if v} == {}


def test_desk_pages_have_no_serious_violations(new_page, make_user, make_ticket, admin_user):
    ticket = make_ticket(subject="Laskussa väärä summa")
    page = new_page()
    login(page, admin_user.email, PASSWORD)
    found = {"inbox": violations(page)}
    page.goto(f"/tickets/{ticket.number}/")
    found["ticket"] = violations(page)
    # Where the portal's organisation switch is set.
    organisation = save_organisation(None, actor=admin_user, name="Kahvila Kuppi Oy")
    page.goto(f"/organisations/{organisation.pk}/edit/")
    found["organisation-form"] = violations(page)
    assert {name: v for name, v in found.items() if v} == {}


def test_the_check_catches_a_violation(new_page):
    """The guard for the two tests above: axe runs and an image without alt fails."""
    page = new_page()
    page.set_content('<html lang="fi"><title>t</title><main><img src="x.png"></main></html>')
    assert [v.split(" ")[0] for v in violations(page)] == ["image-alt"]
