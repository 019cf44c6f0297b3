"""A customer answers the survey on a phone: the link from the sent mail, a 2, a comment, thanks."""

from __future__ import annotations

import hashlib
import re
from importlib import import_module

from django.apps import apps as django_apps
from django.core import mail

from tiski.connectors.email.intake import accept, process_receipt
from tiski.connectors.models import Mailbox
from tiski.rules import engine
from tiski.surveys.models import SurveyInvitation
from tiski.tickets import actions
from tiski.tickets.models import Event, Status, Via

from .conftest import screenshot

PHONE = {"width": 390, "height": 844}
WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`);
});
"""
RAW = (
    "From: Maija Meikäläinen <maija@example.com>\r\nTo: tuki@tiski.example\r\n"
    "Subject: Tilaus ei ole saapunut\r\nMessage-ID: <b1@example.com>\r\n"
    "Date: Mon, 2 Jun 2025 10:00:00 +0300\r\nMIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n\r\nHei, missä tilaukseni on?\r\n"
).encode()


def test_customer_rates_two_and_comments_on_a_phone(new_page, asgi_server, settings, make_user):
    settings.TISKI_BASE_URL = asgi_server
    # The shipped trigger comes from a data migration; a browser test's database
    # is flushed between tests, so an earlier one may have taken it away.
    shipped = import_module("tiski.surveys.migrations.0003_shipped_rules")
    shipped.create_triggers(django_apps, None)
    engine._compiled.clear()
    mailbox = Mailbox.objects.create(address="tuki@tiski.example", display_name="Yritys Oy")
    receipt, _ = accept(
        source="test", key=hashlib.sha256(RAW).hexdigest(), raw=RAW, mailbox=mailbox, schedule=False
    )
    ticket = process_receipt(receipt.pk).receipt.ticket
    agent = make_user(name="Minna Virtanen")
    mail.outbox.clear()
    actions.update_ticket(ticket, actor=agent, via=Via.AGENT, status=Status.SOLVED, assignee=agent)

    [message] = [m for m in mail.outbox if "/survey/" in m.body]
    two = next(u for u in re.findall(r"https?://\S+", message.body) if u.endswith("/rate/2/"))
    assert two.startswith(asgi_server)

    page = new_page(PHONE)
    page.add_init_script(WATCH)
    page.goto(two)
    page.wait_for_selector("#saved")
    assert page.locator("html").get_attribute("lang") == "fi"
    assert page.locator("input[name=score][value='2']").is_checked()
    # Every score is a finger-sized target on the phone.
    box = page.locator("label.option").first.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44
    # Nothing scrolls sideways.
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    page.fill("textarea[name=comment]", "Paketti tuli viikon myöhässä.")
    screenshot(page, "survey-phone-rated")
    page.click("button.send")
    page.wait_for_selector("#thanks")
    screenshot(page, "survey-phone-thanks")
    assert page.evaluate("() => window.__csp") == []

    invitation = SurveyInvitation.objects.get(ticket=ticket)
    assert (invitation.score, invitation.comment) == (2, "Paketti tuli viikon myöhässä.")
    assert list(
        Event.objects.filter(ticket=ticket, field__startswith="satisfaction").values_list(
            "field", "new_value"
        )
    ) == [("satisfaction", "2"), ("satisfaction_comment", "Paketti tuli viikon myöhässä.")]
