"""An admin registers an API client in Settings, and the server integration uses its secret."""

from __future__ import annotations

import base64
import json
import urllib.request
from urllib.parse import urlencode

from playwright.sync_api import expect

from tests.browser.conftest import login, screenshot
from tests.conftest import PASSWORD
from tiski.accounts.models import Role
from tiski.api.models import ApiClient


def test_register_a_client_and_get_a_token(new_page, asgi_server, make_user, make_ticket):
    make_user(role=Role.ADMIN, name="Anna Admin", email="anna@yritys.fi", language="en")
    ticket = make_ticket(subject="Laskun kopio")
    page = new_page()
    login(page, "anna@yritys.fi", PASSWORD)
    page.goto("/settings/api-clients/")
    page.click("#new-api-client")
    page.fill("#id_name", "Laskutus")
    page.select_option("#id_scope", "read")
    page.click("#save-api-client")
    secret_box = page.locator("#api-client-secret")
    expect(secret_box).to_contain_text("shown only this once")
    client_id = page.locator("#api-client-id").input_value()
    secret = page.locator("#api-client-secret-value").input_value()
    screenshot(page, "api-client-secret")
    client = ApiClient.objects.get(client_id=client_id)
    # The new integration user is an agent without teams: give it all tickets by role here.
    client.user.role = Role.ADMIN
    client.user.save()

    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    ask = urllib.request.Request(
        asgi_server + "/api/oauth/token",
        data=urlencode({"grant_type": "client_credentials"}).encode(),
        headers={"Authorization": f"Basic {basic}"},
    )
    with urllib.request.urlopen(ask, timeout=10) as answer:
        token = json.load(answer)
    assert token["scope"] == "read" and token["token_type"] == "Bearer"
    listing = urllib.request.Request(
        asgi_server + "/api/v1/tickets",
        headers={"Authorization": f"Bearer {token['access_token']}"},
    )
    with urllib.request.urlopen(listing, timeout=10) as answer:
        assert [t["number"] for t in json.load(answer)["data"]] == [ticket.number]

    page.goto("/settings/api-clients/")
    row = page.locator(f"[data-api-client='{client.pk}']")
    expect(row).to_contain_text(client_id)
    expect(page.locator("#api-client-table")).not_to_contain_text(secret)
    screenshot(page, "api-clients")
    row.get_by_role("button", name="Revoke").click()
    expect(page.locator("#revoked-api-clients")).to_contain_text("Laskutus")
