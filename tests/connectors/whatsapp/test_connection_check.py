"""Settings → WhatsApp numbers → Check connection: the phone number id asked with the
stored token on the loopback Graph API."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from .conftest import ACCESS_TOKEN, PHONE_NUMBER_ID

pytestmark = pytest.mark.django_db(transaction=True)

FIELDS = f"/{PHONE_NUMBER_ID}?fields=display_phone_number,verified_name"


def check(client, account):
    url = reverse("setup:whatsapp-account-check", args=[account.pk])
    return client.post(url, follow=True).content.decode()


def test_a_working_token_shows_the_number(admin_client, account, fake_api):
    fake_api.routes[FIELDS] = (
        200, json.dumps({"display_phone_number": "+358 45 1230000", "verified_name": "Tuki Oy",
                         "id": PHONE_NUMBER_ID}).encode(), {},
    )  # fmt: skip
    html = check(admin_client, account)
    assert "flash-success" in html and "+358 45 1230000 (Tuki Oy)" in html
    asked = fake_api.requests[-1]
    assert asked["method"] == "GET" and asked["path"] == f"/v21.0{FIELDS}"
    assert asked["headers"]["Authorization"] == f"Bearer {ACCESS_TOKEN}"
    page = admin_client.get(reverse("setup:whatsapp-account-edit", args=[account.pk]))
    assert 'id="check-connection"' in page.content.decode()


def test_a_revoked_token_and_a_wrong_id_are_said(admin_client, account, fake_api):
    error = {"message": "Error validating access token: The session has been invalidated",
             "type": "OAuthException", "code": 190, "error_subcode": 460}  # fmt: skip
    fake_api.routes[FIELDS] = (401, json.dumps({"error": error}).encode(), {})
    html = check(admin_client, account)
    assert "flash-error" in html and "Meta does not accept the access token" in html
    assert "The session has been invalidated" in html

    error = {"message": "Unsupported get request. Object with ID '106540352242922' does not "
             "exist", "type": "GraphMethodException", "code": 100, "error_subcode": 33}  # fmt: skip
    fake_api.routes[FIELDS] = (400, json.dumps({"error": error}).encode(), {})
    html = check(admin_client, account)
    assert f"Meta finds nothing this token may see for phone number ID {PHONE_NUMBER_ID}" in html
