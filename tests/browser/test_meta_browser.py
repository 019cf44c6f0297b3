"""Messenger in a real browser: an admin connects a page in Settings, a customer's
message arrives through the signed webhook, and an agent answers a day later with
the human agent tag the composer announces (screenshots test-artifacts/meta-*.png)."""

from __future__ import annotations

import json
import urllib.request
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.connectors.conftest import fake_api  # noqa: F401 - fixture
from tests.connectors.meta.conftest import (  # noqa: F401 - fixtures
    APP_SECRET,
    CUSTOMER,
    graph,
    text_hook,
)
from tiski.connectors.messaging.graph import signature
from tiski.connectors.meta.models import MetaAccount
from tiski.tickets.models import MessageKind, Ticket

from ..conftest import PASSWORD
from .conftest import login, screenshot

pytestmark = pytest.mark.browser


def post_webhook(base: str, account: MetaAccount, payload: dict) -> int:
    body = json.dumps(payload).encode()
    request = urllib.request.Request(
        f"{base}/meta/{account.pk}/webhook/", data=body, method="POST",
        headers={"Content-Type": "application/json",
                 "X-Hub-Signature-256": signature(APP_SECRET, body)},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=10) as answer:
        return answer.status


def test_connect_a_page_and_answer_with_the_human_agent_tag(
    new_page,
    admin_user,
    asgi_server,
    graph,  # noqa: F811
):
    page = new_page()
    login(page, admin_user.email, PASSWORD)
    page.goto("/settings/meta/new/")
    page.select_option("#id_kind", "messenger")
    page.fill("#id_name", "Papumylly")
    page.fill("#id_account_id", "104512345678901")
    page.fill("#id_access_token", "EAAJ-page-token")
    page.fill("#id_app_secret", APP_SECRET)
    page.click("#save")
    page.wait_for_url("**/settings/meta/*/")
    account = MetaAccount.objects.get()
    expect(page.locator("#webhook-url")).to_have_value(f"{asgi_server}/meta/{account.pk}/webhook/")
    screenshot(page, "meta-settings-page")

    assert post_webhook(asgi_server, account, text_hook("m_IN1", "Hei, missä pakettini on?")) == 200
    ticket = Ticket.objects.get()
    # The customer wrote 30 hours ago: past the 24 hours, within the 7 days.
    ticket.messages.update(created_at=timezone.now() - timedelta(hours=30))
    page.goto(ticket.get_absolute_url())
    expect(page.locator("#reply-to")).to_contain_text("Aino Korhonen")
    expect(page.locator("#channel-notice")).to_be_visible()
    page.fill("#id_text", "Paketti on noutopisteessä, pahoittelut viiveestä.")
    screenshot(page, "meta-composer-human-agent")
    page.click("#send-button")
    expect(page.locator(".msg-public")).to_contain_text("noutopisteessä")
    reply = ticket.messages.get(kind=MessageKind.PUBLIC)
    assert reply.outbound_messages.get().provider_message_id == "m_OUT1"
    sent = json.loads(next(r for r in graph.requests if r["path"].endswith("/messages"))["body"])
    assert sent["recipient"] == {"id": CUSTOMER} and sent["tag"] == "HUMAN_AGENT"
    screenshot(page, "meta-reply-sent")


def test_check_connection_shows_metas_answer(
    new_page,
    admin_user,
    graph,  # noqa: F811
):
    """The admin presses Check connection: Tiski asks the (loopback) Graph API with the
    stored page token and the page shows the answer, then an expired token in a sentence."""
    account, _ = MetaAccount.objects.get_or_create(
        kind="messenger", account_id="104512345678901",
        defaults={"name": "Papumylly", "access_token": "EAAJ-page-token",
                  "app_secret": APP_SECRET},
    )  # fmt: skip
    graph.routes["/me?fields=id,name"] = (
        200, json.dumps({"id": "104512345678901", "name": "Papumylly"}).encode(), {},
    )  # fmt: skip
    page = new_page()
    login(page, admin_user.email, PASSWORD)
    page.goto(f"/settings/meta/{account.pk}/")
    page.click("#check-connection")
    expect(page.locator(".flash-success")).to_contain_text("Papumylly")
    assert graph.requests[-1]["headers"]["Authorization"] == "Bearer EAAJ-page-token"
    screenshot(page, "meta-check-connection")

    expired = {"error": {"message": "Error validating access token: Session has expired",
                         "type": "OAuthException", "code": 190, "error_subcode": 463}}
    graph.routes["/me?fields=id,name"] = (400, json.dumps(expired).encode(), {})
    page.click("#check-connection")
    expect(page.locator(".flash-error")).to_contain_text("Session has expired")
