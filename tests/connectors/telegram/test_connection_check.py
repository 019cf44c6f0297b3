"""Settings → Telegram bots → Check connection: getMe for the token, getWebhookInfo for
where Telegram sends the bot's messages, compared with this Tiski's webhook."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from .conftest import TOKEN

pytestmark = pytest.mark.django_db(transaction=True)

ME = {"id": 123456, "is_bot": True, "first_name": "Tiski-botti", "username": "tiski_apu_bot"}


def ok(result) -> tuple[int, bytes, dict]:
    return (200, json.dumps({"ok": True, "result": result}).encode(), {})


def check(client, bot):
    url = reverse("setup:telegram-bot-check", args=[bot.pk])
    return client.post(url, follow=True).content.decode()


def webhook(bot, **info):
    return ok({"url": "", "has_custom_certificate": False, "pending_update_count": 0, **info})


def test_a_working_bot_whose_webhook_is_ours(admin_client, bot, fake_api):
    ours = f"http://testserver/telegram/{bot.pk}/webhook/"
    fake_api.routes["/getMe"] = ok(ME)
    fake_api.routes["/getWebhookInfo"] = webhook(bot, url=ours)
    html = check(admin_client, bot)
    assert "flash-success" in html and "@tiski_apu_bot sends its messages to this Tiski" in html
    paths = [r["path"] for r in fake_api.requests]
    assert paths == [f"/bot{TOKEN}/getMe", f"/bot{TOKEN}/getWebhookInfo"]
    page = admin_client.get(reverse("setup:telegram-bot-edit", args=[bot.pk])).content.decode()
    assert 'id="check-connection"' in page


def test_a_webhook_elsewhere_or_none_is_said(admin_client, bot, fake_api):
    fake_api.routes["/getMe"] = ok(ME)
    fake_api.routes["/getWebhookInfo"] = webhook(bot, url="https://old.example.fi/hook")
    html = check(admin_client, bot)
    assert "flash-error" in html and "https://old.example.fi/hook" in html
    assert f"http://testserver/telegram/{bot.pk}/webhook/" in html and "Set webhook" in html

    fake_api.routes["/getWebhookInfo"] = webhook(bot)
    assert "the bot has no webhook" in check(admin_client, bot)


def test_the_last_delivery_error_is_said(admin_client, bot, fake_api):
    fake_api.routes["/getMe"] = ok(ME)
    fake_api.routes["/getWebhookInfo"] = webhook(
        bot, url=f"http://testserver/telegram/{bot.pk}/webhook/", pending_update_count=3,
        last_error_date=1796380800, last_error_message="Wrong response from the webhook: 401",
    )  # fmt: skip
    html = check(admin_client, bot)
    assert "flash-error" in html and "Wrong response from the webhook: 401" in html
    assert "3 messages are waiting" in html


def test_a_wrong_token_is_said(admin_client, bot, fake_api):
    fake_api.routes["/getMe"] = (
        401, json.dumps({"ok": False, "error_code": 401, "description": "Unauthorized"}).encode(),
        {},
    )  # fmt: skip
    html = check(admin_client, bot)
    assert "flash-error" in html and "Telegram does not accept the bot token" in html
    assert "Unauthorized" in html
