"""A Telegram bot, a poster of updates to its real webhook URL, the Bot API on loopback."""

from __future__ import annotations

import json

import pytest

from tiski.connectors.telegram.models import TelegramBot

SECRET = "tg-secret_Token-77"
TOKEN = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11"
CUSTOMER = {
    "id": 5550001,
    "is_bot": False,
    "first_name": "Aino",
    "last_name": "Korhonen",
    "username": "ainok",
    "language_code": "fi",
}


@pytest.fixture
def team(make_team):
    return make_team("Telegram")


@pytest.fixture
def bot(db, fake_api, team):
    fake_api.answer((200, {"ok": True, "result": {"message_id": 900, "chat": {"id": 5550001}}}))
    return TelegramBot.objects.create(
        name="Tiski-botti",
        username="tiski_apu_bot",
        bot_token=TOKEN,
        secret_token=SECRET,
        api_url=fake_api.url,
        default_team=team,
    )


@pytest.fixture
def post_update(client, bot):
    """POST an update as Telegram does, with the secret token header unless told otherwise."""

    def post(update: dict | None = None, *, secret: str | None = SECRET, raw: bytes | None = None):
        body = raw if raw is not None else json.dumps(update).encode()
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        return client.post(
            f"/telegram/{bot.pk}/webhook/",
            data=body,
            content_type="application/json",
            headers=headers,
        )

    return post


def text_update(update_id: int, message_id: int, text: str, **extra) -> dict:
    """A private-chat text message, as in the Bot API's Update and Message objects."""
    return {
        "update_id": update_id,
        "message": {
            "message_id": message_id,
            "from": CUSTOMER,
            "chat": {
                "id": CUSTOMER["id"],
                "first_name": "Aino",
                "last_name": "Korhonen",
                "username": "ainok",
                "type": "private",
            },
            "date": 1796380800,
            "text": text,
            **extra,
        },
    }


def media_update(update_id: int, message_id: int, **fields) -> dict:
    update = text_update(update_id, message_id, "")
    del update["message"]["text"]
    update["message"].update(fields)
    return update
