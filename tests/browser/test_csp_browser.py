"""Every desk page under the Content-Security-Policy, in a real browser.

The demo data plus a hostile HTML mail; the test opens each desk page as an
admin and fails on any CSP violation (``securitypolicyviolation`` events and
the console's "Refused to ..." lines), on any script error, and if a payload
in the mail ran. On the ticket it also works the message frame: auto height,
folded quote, remote images, and htmx (search suggestions, the bell).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tiski.tickets import actions
from tiski.tickets.models import MessageKind, Ticket, Via

from .conftest import login, screenshot

pytestmark = pytest.mark.browser

PIXEL = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAE"
    "hQGAhKmMIQAAAABJRU5ErkJggg=="
)
PWN = "parent.document.body.dataset.pwned"
HOSTILE_HTML = f"""
<p>Hei <b>tuki</b>, kahvinkeitin vuotaa edelleen.</p>
<img src="x" onerror="{PWN}='img'">
<svg onload="{PWN}='svg'"></svg><script>{PWN}='script'</script>
<a href="javascript:{PWN}='link'">linkki</a>
<div class="msg msg-internal" id="reply-form">Väärennetty sisäinen huomio</div>
<p><img src="{PIXEL}" alt="pikseli" width="40" height="40"></p>
<p><img src="https://127.0.0.1:9/seuranta.gif" alt="seuranta" width="20" height="20"></p>
<div class="tiski-folded"><p>Lainattu vanha viesti</p><p>rivi</p><p>rivi</p><p>rivi</p></div>
"""

# Counted in the page before anything else runs (Playwright injects it past the CSP).
WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


@pytest.fixture
def demo_desk(settings):
    from tiski.accounts.models import User
    from tiski.operations.demo_data import populate

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    populate()
    admin = User.objects.get(email="admin@tiski.example")
    admin.is_superuser = True  # the Django admin pages too
    admin.save()
    ticket = (
        Ticket.objects.filter(requester__organisation__isnull=False)
        .exclude(status="closed")
        .order_by("pk")
        .first()
    )
    actions.add_message(
        ticket,
        kind=MessageKind.CUSTOMER,
        actor=None,
        via=Via.CHANNEL,
        author_contact=ticket.requester,
        html=HOSTILE_HTML,
    )
    return {"admin": admin, "ticket": ticket, "password": settings.TISKI_DEMO_PASSWORD}


class Watcher:
    def __init__(self, page) -> None:
        self.page = page
        self.console: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        page.add_init_script(WATCH)
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))

    def _console(self, message) -> None:
        text = message.text
        if "Content Security Policy" in text or text.startswith("Refused to"):
            self.console.append(text)

    def check(self, where: str) -> None:
        self.page.wait_for_load_state("load")
        violations = self.page.evaluate("window.__csp || []")
        assert violations == [], f"{where}: CSP violations {violations}"
        assert self.console == [], f"{where}: console {self.console}"
        assert self.errors == [], f"{where}: script errors {self.errors}"
        assert self.dialogs == [], f"{where}: dialogs {self.dialogs}"
        assert self.page.evaluate("document.body.dataset.pwned") is None, f"{where}: payload ran"


def test_desk_under_the_csp(new_page, demo_desk):
    """One test, so the demo data is built once (it takes a while)."""
    page = new_page()
    watch = Watcher(page)
    login(page, demo_desk["admin"].email, demo_desk["password"])
    watch.check("inbox")
    _every_desk_page(page, watch, demo_desk)
    _hostile_mail_in_its_frame(page, watch, demo_desk)
    _language_menu_switches(page, watch)
    # The watch itself sees a violation when there is one.
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = '1';"
        " document.head.append(s); }"
    )
    page.wait_for_function("() => window.__csp.length > 0")


def _every_desk_page(page, watch: Watcher, demo_desk: dict) -> None:
    ticket = demo_desk["ticket"]
    contact, org = ticket.requester, ticket.requester.organisation
    other = Ticket.objects.exclude(pk=ticket.pk).order_by("-pk").first()
    pages = [
        "/?view=all",
        other.get_absolute_url(),
        f"/tickets/{ticket.number}/merge/",
        "/tickets/new/",
        "/contacts/",
        f"/contacts/{contact.pk}/",
        "/organisations/",
        f"/organisations/{org.pk}/",
        f"/customers/contacts/{contact.pk}/timeline/",
        f"/customers/organisations/{org.pk}/timeline/",
        f"/customers/contacts/{contact.pk}/merge/",
        "/customers/merges/",
        "/search/?q=kahvinkeitin",
        "/reports/volume/?period=this_year",
        "/reports/agents/?period=this_year",
        "/settings/",
        "/settings/log/",
        "/settings/rules/",
        "/settings/rules/triggers/",
        "/settings/rules/triggers/new/",
        "/settings/rules/time-rules/new/",
        "/admin/",
        "/admin/customers/contact/",
        f"/admin/customers/contact/{contact.pk}/change/",
    ]
    for url in pages:
        response = page.goto(url)
        assert response is not None and response.status == 200, url
        assert "script-src 'self' 'nonce-" in response.headers["content-security-policy"], url
        watch.check(url)

    # htmx under the policy: the bell's panel and the search suggestions load.
    page.goto("/")
    page.click("#bell summary")
    expect(page.locator("#bell-panel .bell-head")).to_be_visible()
    page.fill("#search-q", "kahvinkeitin")
    expect(page.locator("#search-suggest")).not_to_be_empty()
    watch.check("bell and suggestions")


def _hostile_mail_in_its_frame(page, watch: Watcher, demo_desk: dict) -> None:
    ticket = demo_desk["ticket"]
    response = page.goto(ticket.get_absolute_url())
    assert "img-src 'self' data: https:" in response.headers["content-security-policy"]
    msg = page.locator(".msg-customer").filter(has=page.locator("iframe.msg-frame"))
    frame_el = msg.locator("iframe.msg-frame")
    frame = page.frame_locator(".msg-customer iframe.msg-frame")
    expect(frame.locator("body")).to_contain_text("kahvinkeitin vuotaa edelleen")
    # The sender's classes are gone and the desk's styles do not reach the frame.
    fake = frame.locator("text=Väärennetty sisäinen huomio")
    assert fake.evaluate("el => el.className") == ""
    assert frame.locator("img[alt=pikseli]").evaluate("img => img.naturalWidth") == 1
    # The frame is as tall as its content: no inner scrollbar, nothing cut off.
    page.wait_for_function(
        "f => f.getBoundingClientRect().height > 80", arg=frame_el.element_handle()
    )
    folded_height = frame_el.evaluate("f => f.getBoundingClientRect().height")
    inner = frame_el.evaluate("f => f.contentDocument.documentElement.scrollHeight")
    assert abs(folded_height - inner) <= 2
    screenshot(page, "csp-hostile-ticket")

    toggle = msg.locator("[data-fold-toggle]")
    expect(toggle).to_be_visible()
    expect(frame.locator(".tiski-folded")).to_be_hidden()
    toggle.click()
    expect(frame.locator(".tiski-folded")).to_be_visible()
    page.wait_for_function(
        f"f => f.getBoundingClientRect().height > {folded_height + 40}",
        arg=frame_el.element_handle(),
    )

    images = msg.locator("[data-remote-images]")
    expect(images).to_be_visible()
    assert frame.locator("img[alt=seuranta]").get_attribute("src") is None
    images.click()
    expect(images).to_be_hidden()
    assert frame.locator("img[alt=seuranta]").get_attribute("src") == (
        "https://127.0.0.1:9/seuranta.gif"
    )
    # The failed image shrank the body: the frame follows, no empty band left.
    page.wait_for_function(
        "f => Math.abs(f.getBoundingClientRect().height"
        " - f.contentDocument.documentElement.getBoundingClientRect().height) <= 2",
        arg=frame_el.element_handle(),
    )
    page.wait_for_timeout(300)  # let a refused image report itself, if the policy refused it
    screenshot(page, "csp-hostile-ticket-unfolded")
    watch.check("hostile ticket")


def _language_menu_switches(page, watch: Watcher) -> None:
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "fi")
    page.click("#account-menu > summary")  # the language menu lives in the account menu
    page.select_option("#language-select", "en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    watch.check("language menu")
