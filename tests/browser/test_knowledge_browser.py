"""An agent writes an article in the editor (a heading and a list), publishes it,
and a customer reads it in the help centre on a phone, without CSP violations."""

from __future__ import annotations

from tiski.knowledge import actions
from tiski.knowledge.models import ArticleTranslation
from tiski.tickets.models import Ticket

from ..conftest import PASSWORD
from .conftest import login, screenshot

WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`);
});
"""


def test_agent_writes_publishes_and_customer_reads(new_page, make_user):
    agent = make_user(name="Kaisa Kirjoittaja")
    category = actions.create_category(
        "tilaukset", {"fi": {"name": "Tilaukset"}, "en": {"name": "Orders"}}
    )
    actions.create_section(category, "toimitus", {"fi": {"name": "Toimitus"}})

    page = new_page()
    page.add_init_script(WATCH)
    login(page, agent.email, PASSWORD)
    page.goto("/knowledge/new/")
    page.select_option("#id_section", label="Tilaukset › Toimitus")
    page.fill("#id_title", "Toimituksen seuranta")
    editor = page.locator("#kb-editor-area")
    assert editor.is_visible()
    # The plain textarea is the no-JavaScript fallback; the editor replaces it.
    assert not page.locator("#id_body_html").is_visible()
    editor.click()
    page.click("[data-cmd=formatBlock][data-arg=h2]")
    page.keyboard.type("Missä pakettini on?")
    page.keyboard.press("Enter")
    page.click("[data-cmd=formatBlock][data-arg=p]")
    page.click("[data-cmd=insertUnorderedList]")
    page.keyboard.type("Avaa tilausvahvistus")
    page.keyboard.press("Enter")
    page.keyboard.type("Klikkaa seurantalinkkiä")
    screenshot(page, "knowledge-editor")
    page.click("#kb-publish")
    page.wait_for_selector("#kb-status-badge")
    assert "kb-published" in page.locator("#kb-status-badge").get_attribute("class")

    reader = new_page({"width": 390, "height": 844})
    reader.add_init_script(WATCH)
    reader.goto("/help/fi/")
    reader.click("text=Tilaukset")
    reader.click("text=Toimituksen seuranta")
    assert reader.locator("article h2").inner_text() == "Missä pakettini on?"
    items = reader.locator("article ul li").all_inner_texts()
    assert items == ["Avaa tilausvahvistus", "Klikkaa seurantalinkkiä"]
    screenshot(reader, "help-centre-article-phone")
    # Search with an inflected form finds it, highlighted.
    reader.fill("#hc-q", "toimitukset")
    reader.press("#hc-q", "Enter")
    reader.wait_for_selector(".hc-results mark")
    # The web form suggests the article while the subject is typed; "this
    # solved it" counts a request avoided, and no ticket is made.
    reader.goto("/help/fi/request/")
    reader.fill("#id_subject", "Missä on toimitukseni")
    reader.wait_for_selector("#hc-suggestions .hc-solved")
    reader.click("#hc-suggestions .hc-solved")
    reader.wait_for_selector("#hc-solved-thanks")
    article = ArticleTranslation.objects.get(title="Toimituksen seuranta").article
    assert article.deflections == 1
    assert not Ticket.objects.exists()
    assert page.evaluate("() => window.__csp") == []
    assert reader.evaluate("() => window.__csp") == []
