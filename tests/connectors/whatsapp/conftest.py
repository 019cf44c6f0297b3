"""A WhatsApp Business number, signed webhook posts to its real URL, the Graph API on loopback."""

from __future__ import annotations

import json

import pytest

from tiski.connectors.messaging.graph import signature
from tiski.connectors.whatsapp.models import WhatsAppAccount

APP_SECRET = "meta-app-secret-5d1e"
ACCESS_TOKEN = "EAAG-test-access-token"
VERIFY_TOKEN = "verify-me-123"
PHONE_NUMBER_ID = "106540352242922"
CUSTOMER = "358401234567"


@pytest.fixture
def team(make_team):
    return make_team("WhatsApp")


@pytest.fixture
def account(db, fake_api, team):
    fake_api.answer(
        (
            200,
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": CUSTOMER, "wa_id": CUSTOMER}],
                "messages": [{"id": "wamid.OUT1"}],
            },
        )  # fmt: skip
    )
    return WhatsAppAccount.objects.create(
        name="Tuki WhatsApp",
        number="+358451230000",
        phone_number_id=PHONE_NUMBER_ID,
        access_token=ACCESS_TOKEN,
        app_secret=APP_SECRET,
        verify_token=VERIFY_TOKEN,
        api_url=fake_api.url,
        default_team=team,
    )


@pytest.fixture
def post_hook(client, account):
    """POST a webhook body as Meta does, signed with X-Hub-Signature-256 unless told otherwise."""

    def post(payload: dict | None = None, *, sign: str | None = None, raw: bytes | None = None):
        body = raw if raw is not None else json.dumps(payload).encode()
        headers = {"X-Hub-Signature-256": signature(APP_SECRET, body) if sign is None else sign}
        if sign == "":
            headers = {}
        return client.post(
            f"/whatsapp/{account.pk}/webhook/",
            data=body,
            content_type="application/json",
            headers=headers,
        )

    return post


def envelope(value: dict) -> dict:
    """The webhook's outer shape (object → entry → changes → value), as Meta documents it."""
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "102290129340398",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": "358451230000",
                                "phone_number_id": PHONE_NUMBER_ID,
                            },
                            **value,
                        },
                    }
                ],
            }
        ],
    }


def message_hook(wamid: str, kind: str, body: dict | None = None, *, sender=CUSTOMER, **extra):
    message = {"from": sender, "id": wamid, "timestamp": "1796467200", "type": kind, **extra}
    if body is not None:
        message[kind] = body
    return envelope(
        {
            "contacts": [{"profile": {"name": "Aino Korhonen"}, "wa_id": sender}],
            "messages": [message],
        }
    )


def text_hook(wamid: str, text: str, **extra) -> dict:
    return message_hook(wamid, "text", {"body": text}, **extra)


def status_hook(wamid: str, status: str, errors: list | None = None) -> dict:
    item = {"id": wamid, "status": status, "timestamp": "1796467300", "recipient_id": CUSTOMER}
    if errors:
        item["errors"] = errors
    return envelope({"statuses": [item]})
