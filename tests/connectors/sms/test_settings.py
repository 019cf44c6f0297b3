"""Settings → SMS numbers: add, edit, test-send, delete; secrets encrypted and never shown."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.urls import reverse

from tiski.connectors.sms.models import SmsAccount
from tiski.setup.models import SettingChange

from ...conftest import PASSWORD


def form(fake_api, **fields):
    return {
        "name": "Myynti SMS",
        "number": "045 111 0000",
        "provider": "http_json",
        "api_url": fake_api.url + "/messages",
        "account_sid": "",
        "api_token": "gw-secret-token",
        "webhook_secret": "wh-9c2e-sekret",
        "active": "on",
        **fields,
    }


@pytest.mark.django_db
def test_add_edit_and_secrets_stay_hidden(admin_client, fake_api):
    response = admin_client.post(reverse("setup:sms-account-new"), form(fake_api))
    assert response.status_code == 302
    account = SmsAccount.objects.get()
    assert account.number == "+358451110000" and account.api_token == "gw-secret-token"
    with connection.cursor() as cursor:
        cursor.execute("SELECT api_token FROM sms_smsaccount")
        assert "gw-secret-token" not in cursor.fetchone()[0]  # encrypted at rest
    page = admin_client.get(reverse("setup:sms-account-edit", args=[account.pk])).content.decode()
    assert "gw-secret-token" not in page
    assert "wh-9c2e-sekret" not in page
    assert f"/sms/{account.pk}/inbound/" in page
    # Saving with the secret fields empty keeps them.
    admin_client.post(
        reverse("setup:sms-account-edit", args=[account.pk]),
        form(fake_api, name="Myynti", api_token="", webhook_secret=""),
    )
    account.refresh_from_db()
    assert account.name == "Myynti" and account.api_token == "gw-secret-token"
    assert "gw-secret-token" not in json.dumps(list(SettingChange.objects.values("changes")))
    listing = admin_client.get(reverse("setup:sms-accounts")).content.decode()
    assert "Myynti" in listing and "+358451110000" in listing


@pytest.mark.django_db
def test_bad_number_and_missing_url_are_refused(admin_client, fake_api):
    response = admin_client.post(
        reverse("setup:sms-account-new"), form(fake_api, number="abc", api_url="")
    )
    assert response.status_code == 400 and not SmsAccount.objects.exists()


@pytest.mark.django_db
def test_test_send_reaches_the_provider_and_shows_its_error(
    admin_client, fake_api, generic_account
):
    url = reverse("setup:sms-account-test", args=[generic_account.pk])
    response = admin_client.post(url, {"to": "040 123 4567"}, follow=True)
    assert json.loads(fake_api.requests[0]["body"])["to"] == "+358401234567"
    assert response.status_code == 200
    fake_api.answer((401, {"message": "bad credentials"}))
    page = admin_client.post(url, {"to": "040 123 4567"}, follow=True).content.decode()
    assert "bad credentials" in page


@pytest.mark.django_db
def test_delete(admin_client, generic_account):
    url = reverse("setup:sms-account-delete", args=[generic_account.pk])
    assert admin_client.get(url).status_code == 200
    assert admin_client.post(url).status_code == 302
    assert not SmsAccount.objects.exists()


@pytest.mark.django_db
def test_agents_cannot_open_it(client, make_user):
    agent = make_user()
    client.login(username=agent.email, password=PASSWORD)
    assert client.get(reverse("setup:sms-accounts")).status_code in (302, 403)
