"""API tokens and webhooks in a real browser: made, shown once, used over HTTP, no CSP breach."""

from __future__ import annotations

import pytest

from tiski.accounts.models import Role, User
from tiski.api.models import ApiToken, WebhookSubscription

from ..conftest import PASSWORD
from .conftest import login, screenshot

pytestmark = pytest.mark.browser

WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`);
});
"""


def _no_violations(page, where: str) -> None:
    assert page.evaluate("window.__csp || []") == [], where


def test_token_made_in_the_browser_works_over_http(new_page, asgi_server, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    admin = User.objects.create_user(
        email="admin@example.fi", password=PASSWORD, name="Anna Admin", role=Role.ADMIN
    )
    page = new_page()
    page.add_init_script(WATCH)
    login(page, admin.email, PASSWORD)
    page.goto("/preferences/")
    page.click("#api-tokens-link")
    page.fill("#id_name", "Verkkokauppa")
    page.select_option("#id_scope", "write")
    page.click("#create-token")
    raw = page.inner_text("#new-token-value").strip()
    assert raw.startswith("tsk_")
    _no_violations(page, "tokens")
    screenshot(page, "api-token-created")
    assert ApiToken.objects.get(user=admin).name == "Verkkokauppa"
    # The token is used by another program: plain HTTP, no cookies.
    api = page.context.request
    answer = api.get(f"{asgi_server}/api/v1/tickets", headers={"Authorization": f"Bearer {raw}"})
    assert answer.status == 200 and answer.json()["data"] == []
    assert answer.headers["x-ratelimit-limit"]
    page.goto("/preferences/api-tokens/")  # the list shows its prefix, never the token
    assert raw not in page.content() and raw[:10] in page.content()

    page.goto("/settings/webhooks/")
    page.click("#new-webhook")
    page.fill("#id_name", "ERP")
    page.fill("#id_url", "https://erp.example/hooks")
    page.check("input[value='ticket.created']")
    page.click("#save-webhook")
    secret = page.inner_text("#webhook-secret-value").strip()
    assert secret == WebhookSubscription.objects.get(name="ERP").secret
    _no_violations(page, "webhooks")

    page.goto("/api/v1/reference/")
    assert page.locator("#openapi-link").is_visible()
    _no_violations(page, "reference")
