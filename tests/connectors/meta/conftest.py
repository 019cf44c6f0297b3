"""A Facebook page and an Instagram account, signed webhook posts to their real URLs,
and the Graph API on loopback.

The payloads follow Meta's Messenger Platform and Instagram Messaging
webhook reference: ``object`` → ``entry[]`` → ``messaging[]`` with
``sender``, ``recipient``, ``timestamp`` (milliseconds) and one of
``message``, ``postback``, ``reaction``, ``delivery``, ``read``.
"""

from __future__ import annotations

import json

import pytest

from tiski.connectors.messaging.graph import signature
from tiski.connectors.meta.models import MetaAccount, MetaKind

APP_SECRET = "meta-app-secret-81c2"
ACCESS_TOKEN = "EAAJ-page-access-token"
VERIFY_TOKEN = "verify-meta-42"
PAGE_ID = "104512345678901"
IG_ID = "17841405822304914"
CUSTOMER = "6789012345678901"  # a PSID
IG_CUSTOMER = "5432109876543210"  # an IGSID
TIME = 1796467200000


@pytest.fixture
def team(make_team):
    return make_team("Some")


@pytest.fixture
def graph(fake_api, settings):
    """The Graph API on loopback: profile look-ups and the Send API."""
    settings.TISKI_META_GRAPH_URL = fake_api.url + "/v21.0"
    fake_api.routes[f"/{CUSTOMER}?fields=first_name,last_name"] = (
        200, json.dumps({"first_name": "Aino", "last_name": "Korhonen", "id": CUSTOMER}).encode(),
        {},
    )  # fmt: skip
    fake_api.routes[f"/{IG_CUSTOMER}?fields=name,username"] = (
        200, json.dumps({"name": "Eero Mäkelä", "username": "eero.m", "id": IG_CUSTOMER}).encode(),
        {},
    )  # fmt: skip
    fake_api.answer((200, {"recipient_id": CUSTOMER, "message_id": "m_OUT1"}))
    return fake_api


@pytest.fixture
def page(db, graph, team):
    return MetaAccount.objects.create(
        kind=MetaKind.MESSENGER, name="Papumylly", account_id=PAGE_ID,
        access_token=ACCESS_TOKEN, app_secret=APP_SECRET, verify_token=VERIFY_TOKEN,
        default_team=team,
    )  # fmt: skip


@pytest.fixture
def instagram(db, graph, team):
    return MetaAccount.objects.create(
        kind=MetaKind.INSTAGRAM, name="@papumylly", account_id=IG_ID,
        access_token=ACCESS_TOKEN, app_secret=APP_SECRET, verify_token=VERIFY_TOKEN,
        default_team=team,
    )  # fmt: skip


@pytest.fixture
def post_to(client):
    """POST a body to an account's webhook as Meta does, signed unless told otherwise."""

    def post(account, payload=None, *, sign: str | None = None, raw: bytes | None = None):
        body = raw if raw is not None else json.dumps(payload).encode()
        headers = {"X-Hub-Signature-256": signature(APP_SECRET, body) if sign is None else sign}
        if sign == "":
            headers = {}
        return client.post(
            f"/meta/{account.pk}/webhook/", data=body, content_type="application/json",
            headers=headers,
        )  # fmt: skip

    return post


@pytest.fixture
def post_hook(post_to, page):
    return lambda payload=None, **kw: post_to(page, payload, **kw)


def hook(*events: dict, obj: str = "page", entry_id: str = PAGE_ID) -> dict:
    return {"object": obj, "entry": [{"id": entry_id, "time": TIME, "messaging": list(events)}]}


def event(body: dict, *, sender=CUSTOMER, recipient=PAGE_ID, at=TIME) -> dict:
    return {"sender": {"id": sender}, "recipient": {"id": recipient}, "timestamp": at, **body}


def text_hook(mid: str, text: str, **message) -> dict:
    return hook(event({"message": {"mid": mid, "text": text, **message}}))


def echo_hook(mid: str, text: str, *, app_id: int = 263902037430900) -> dict:
    # The page is the sender of an echo; the customer is its recipient.
    body = {"message": {"mid": mid, "text": text, "is_echo": True, "app_id": app_id}}
    return hook(event(body, sender=PAGE_ID, recipient=CUSTOMER))


def ig_text_hook(mid: str, text: str) -> dict:
    body = {"message": {"mid": mid, "text": text}}
    return hook(event(body, sender=IG_CUSTOMER, recipient=IG_ID), obj="instagram", entry_id=IG_ID)
