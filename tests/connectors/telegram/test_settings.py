"""Settings → Telegram bots: add, edit (secrets write-only), set webhook, delete."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from tiski.connectors.telegram.models import TelegramBot

from .conftest import SECRET, TOKEN

pytestmark = pytest.mark.django_db(transaction=True)


def test_add_a_bot_keeps_the_token_encrypted_and_hidden(admin_client, fake_api):
    response = admin_client.post(
        reverse("setup:telegram-bot-new"),
        {"name": "Tuki", "username": "@tuki_bot", "bot_token": "42:secret-token", "active": "on"},
    )
    assert response.status_code == 302, response.content
    bot = TelegramBot.objects.get()
    assert bot.username == "tuki_bot" and bot.bot_token == "42:secret-token"
    assert bot.secret_token  # made when left empty
    page = admin_client.get(reverse("setup:telegram-bot-edit", args=[bot.pk])).content.decode()
    assert "42:secret-token" not in page and bot.secret_token not in page
    assert f"/telegram/{bot.pk}/webhook/" in page
    # Saving without retyping keeps the secrets.
    admin_client.post(
        reverse("setup:telegram-bot-edit", args=[bot.pk]),
        {"name": "Tuki 2", "username": "tuki_bot", "active": "on"},
    )
    bot.refresh_from_db()
    assert bot.name == "Tuki 2" and bot.bot_token == "42:secret-token"


def test_set_webhook_calls_the_bot_api(admin_client, bot, fake_api):
    fake_api.answer((200, {"ok": True, "result": True, "description": "Webhook was set"}))
    response = admin_client.post(reverse("setup:telegram-bot-webhook", args=[bot.pk]), follow=True)
    sent = fake_api.requests[-1]
    assert sent["path"] == f"/bot{TOKEN}/setWebhook"
    body = json.loads(sent["body"])
    assert body["url"] == f"http://testserver/telegram/{bot.pk}/webhook/"
    assert body["secret_token"] == SECRET
    assert f"/telegram/{bot.pk}/webhook/" in response.content.decode()


def test_set_webhook_failure_is_said(admin_client, bot, fake_api):
    fake_api.answer((401, {"ok": False, "error_code": 401, "description": "Unauthorized"}))
    response = admin_client.post(reverse("setup:telegram-bot-webhook", args=[bot.pk]), follow=True)
    assert "Unauthorized" in response.content.decode()


def test_delete_a_bot(admin_client, bot):
    url = reverse("setup:telegram-bot-delete", args=[bot.pk])
    assert admin_client.get(url).status_code == 200
    admin_client.post(url)
    assert not TelegramBot.objects.exists()
