"""The request form inside another site's frame: only for the sites an admin lists."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.test import Client

from tiski.knowledge.models import HelpCentreSettings
from tiski.tickets.models import Channel, Ticket

from .test_web_form import _data

EMBED = "/help/fi/request/embed/"


@pytest.fixture(autouse=True)
def _fresh_limits(settings):
    cache.clear()
    settings.TISKI_WEB_FORM_MIN_SECONDS = 3
    settings.TISKI_WEB_FORM_PER_HOUR = 5


@pytest.fixture
def shop(db):
    row = HelpCentreSettings.load()
    row.embed_origins = "https://www.kauppa.example\nhttps://tuki.kauppa.example:8443"
    row.save()
    return row


def test_off_until_an_admin_lists_a_site(client, db):
    assert client.get(EMBED).status_code == 404
    # The ordinary form still refuses every frame.
    page = client.get("/help/fi/request/")
    assert "frame-ancestors 'none'" in page["Content-Security-Policy"]
    assert page["X-Frame-Options"] == "DENY"


def test_only_the_listed_sites_may_frame_it(client, shop):
    page = client.get(EMBED)
    assert page.status_code == 200
    policy = page["Content-Security-Policy"]
    ancestors = re.search(r"frame-ancestors ([^;]+)", policy).group(1).split()
    assert ancestors == ["https://www.kauppa.example", "https://tuki.kauppa.example:8443"]
    assert "X-Frame-Options" not in page
    body = page.content.decode()
    # The form alone: no help-centre header or footer inside the other site.
    assert 'id="request-form"' in body and "hc-header" not in body and "hc-footer" not in body
    assert 'name="robots" content="noindex' in body


def test_a_submission_from_the_frame_needs_no_cookie_and_makes_a_ticket(shop, mailbox):
    # A frame on another site sends no cookies: no CSRF cookie, no session.
    framed = Client(enforce_csrf_checks=True)
    response = framed.post(EMBED, _data())
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.channel == Channel.WEB_FORM and ticket.subject == "Laskun eräpäivä"
    thanks = Client().get(response["Location"])
    assert thanks.status_code == 200 and f"#{ticket.number}" in thanks.content.decode()
    assert "frame-ancestors https://www.kauppa.example" in thanks["Content-Security-Policy"]
    # A made-up number in the address is not shown.
    forged = Client().get("/help/fi/request/embed/sent/?n=1234:forged")
    assert "#1234" not in forged.content.decode()


def test_the_frame_keeps_the_spam_guards(shop):
    framed = Client(enforce_csrf_checks=True)
    assert framed.post(EMBED, _data(website="http://spam.example")).status_code == 400
    assert framed.post(EMBED, _data(started="123:forged")).status_code == 400
    assert not Ticket.objects.exists()


def test_settings_accept_only_site_addresses(db, make_user):
    from tiski.accounts.models import Role

    admin = make_user(role=Role.ADMIN, language="en")
    client = Client()
    client.force_login(admin)
    form = {"name": "Kauppa", "colour": "#1f5fa8", "footer": ""}
    bad = client.post("/settings/help-centre/", {**form, "embed_origins": "kauppa.example/form"})
    assert bad.status_code == 400 and "is not a site address" in bad.content.decode()
    good = client.post(
        "/settings/help-centre/", {**form, "embed_origins": "https://WWW.Kauppa.example/\n\n"}
    )
    assert good.status_code == 302
    assert HelpCentreSettings.load().embed_origin_list() == ["https://www.kauppa.example"]
    page = client.get("/settings/help-centre/").content.decode()
    assert 'id="embed-snippet"' in page and "/help/fi/request/embed/" in page
