"""A brand's help centre on its own host name, in Debian's Chromium.

Chromium resolves the brand's host name to the test server with
`--host-resolver-rules`, so the browser sends `Host: tuki.kahvila.example:<port>`
exactly as it would to a real brand domain: the middleware, the cookies,
CSRF and the absolute URLs all see the brand's name.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tiski.knowledge import actions as knowledge
from tiski.knowledge.models import Brand, Category

from .conftest import CHROMIUM, CHROMIUM_ARGS, screenshot
from .test_accessibility_browser import _sign_in_link, violations

HOST = "tuki.kahvila.example"
PASSWORD = "Kahvi-kuppi-2026-vihreä"


@pytest.fixture(scope="module")
def brand_browser():
    """A Chromium of its own: the host-resolver rule is a launch argument."""
    if not (shutil.which(CHROMIUM) or Path(CHROMIUM).exists()):
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM,
                headless=True,
                args=[*CHROMIUM_ARGS, f"--host-resolver-rules=MAP {HOST} 127.0.0.1"],
            )
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def brand_page(brand_browser, asgi_server):
    port = asgi_server.rsplit(":", 1)[1]
    context = brand_browser.new_context(
        base_url=f"http://{HOST}:{port}", viewport={"width": 1280, "height": 860}
    )
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def _coffee_brand():
    coffee, _ = Category.objects.get_or_create(
        slug="kahvinkeittimet", defaults={"names": {"fi": {"name": "Kahvinkeittimet"}}}
    )
    section = knowledge.create_section(coffee, "kalkinpoisto", {"fi": {"name": "Kalkinpoisto"}})
    article = knowledge.create_article(
        section=section,
        author=None,
        language="fi",
        title="Kahvinkeittimen kalkinpoisto etikalla",
        body_html="<p>Kalkinpoisto etikalla kerran kuussa.</p>",
        publish=True,
    )
    other = knowledge.create_category("laskutus", {"fi": {"name": "Laskutus"}})
    knowledge.create_article(
        section=knowledge.create_section(other, "laskut", {"fi": {"name": "Laskut"}}),
        author=None,
        language="fi",
        title="Laskun eräpäivän siirtäminen",
        body_html="<p>Eräpäivä.</p>",
        publish=True,
    )
    brand, _ = Brand.objects.get_or_create(
        host=HOST,
        defaults={
            "name": "Kahvilan tuki",
            "colour": "#3b2314",
            "footer": "Kahvila Oy · 010 123 4567",
            "footer_links": "Tietosuoja | https://kahvila.example/tietosuoja",
            "tag": "kahvila",
        },
    )
    brand.categories.set([coffee])
    return article


def test_brand_host_serves_its_own_help_centre_and_portal(brand_page, make_contact, make_ticket):
    article = _coffee_brand()
    customer = make_contact(email="liisa@asiakas.example", name="Liisa Asiakas")
    make_ticket(subject="Kahvinkeitin vuotaa", requester=customer)
    page = brand_page

    page.goto("/")
    port = page.url.split(":")[2].split("/")[0]
    expect(page).to_have_url(f"http://{HOST}:{port}/help/fi/")
    expect(page.locator(".hc-brand")).to_have_text("Kahvilan tuki")
    expect(page.locator(".hc-header")).to_have_css("background-color", "rgb(59, 35, 20)")
    expect(page.get_by_role("link", name="Tietosuoja")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Kahvinkeittimet")
    expect(page.locator("main")).not_to_contain_text("Laskutus")
    assert violations(page) == []
    screenshot(page, "brand-home")

    page.goto(f"/help/fi/articles/{article.slug}/")
    expect(page.locator("h1")).to_have_text(article.title)
    canonical = page.locator("link[rel=canonical]")
    expect(canonical).to_have_attribute(
        "href", f"http://{HOST}:{port}/help/fi/articles/{article.slug}/"
    )
    screenshot(page, "brand-article")

    # The desk is not served on a brand's host.
    assert page.goto("/login/").status == 404

    # Portal: in by a link, set a password, out, and back in with the password.
    page.goto(_sign_in_link(customer))
    expect(page.locator("main")).to_contain_text("Kahvinkeitin vuotaa")
    page.click("#portal-password-link")
    page.fill("#portal-new-password", PASSWORD)
    page.fill("#portal-new-password-again", PASSWORD)
    assert violations(page) == []
    page.locator("#portal-set-password button").click()
    expect(page.locator("#portal-password-saved")).to_be_visible()
    page.goto("/help/fi/portal/requests/")
    page.locator("form[action$='/portal/logout/'] button").click()
    page.goto("/help/fi/portal/")
    page.fill("#portal-password-email", "liisa@asiakas.example")
    page.fill("#portal-password", PASSWORD)
    screenshot(page, "brand-portal-password-sign-in")
    page.locator("#portal-password-form button").click()
    expect(page).to_have_url(f"http://{HOST}:{port}/help/fi/portal/requests/")
    expect(page.locator("main")).to_contain_text("Kahvinkeitin vuotaa")
    screenshot(page, "brand-portal-requests")
