"""An SMS number on each provider, signed webhook posters, the provider's API on loopback."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

from tiski.connectors.sms import providers
from tiski.connectors.sms.models import Provider, SmsAccount

from ..provider import FakeApi

GENERIC_SECRET = "whsec-test-4f1c"
TWILIO_TOKEN = "twilio-auth-token-9a7b"
TWILIO_SID = "AC0123456789abcdef0123456789abcdef"


@pytest.fixture
def fake_api():
    api = FakeApi()
    yield api
    api.close()


@pytest.fixture
def team(make_team):
    return make_team("Tekstiviestit")


@pytest.fixture
def generic_account(db, fake_api, team):
    return SmsAccount.objects.create(
        name="Asiakaspalvelu SMS",
        number="+358451110000",
        provider=Provider.HTTP_JSON,
        api_url=fake_api.url + "/messages",
        api_token="gw-token-1",
        webhook_secret=GENERIC_SECRET,
        default_team=team,
    )


@pytest.fixture
def twilio_account(db, fake_api, team):
    return SmsAccount.objects.create(
        name="Twilio",
        number="+358452220000",
        provider=Provider.TWILIO,
        api_url=fake_api.url,
        account_sid=TWILIO_SID,
        api_token=TWILIO_TOKEN,
        default_team=team,
    )


@pytest.fixture
def post_generic(client, generic_account):
    """POST a generic provider's JSON, signed unless told otherwise."""

    def post(payload, *, kind="inbound", signature: str | None = None, raw: bytes | None = None):
        body = raw if raw is not None else json.dumps(payload).encode()
        headers = {}
        if signature is None:
            headers["X-Tiski-Signature"] = providers.generic_signature(GENERIC_SECRET, body)
        elif signature:
            headers["X-Tiski-Signature"] = signature
        return client.post(
            f"/sms/{generic_account.pk}/{kind}/",
            data=body,
            content_type="application/json",
            headers=headers,
        )

    return post


@pytest.fixture
def post_twilio(client, twilio_account):
    """POST Twilio's form-encoded webhook with X-Twilio-Signature computed as Twilio does."""

    def post(form: dict[str, str], *, kind="inbound", token: str = TWILIO_TOKEN, signed=True):
        path = f"/sms/{twilio_account.pk}/{kind}/"
        url = "http://testserver" + path
        headers = {}
        if signed:
            headers["X-Twilio-Signature"] = providers.twilio_signature(
                token, url, list(form.items())
            )
        return client.post(
            path,
            data=urlencode(form),
            content_type="application/x-www-form-urlencoded",
            headers=headers,
        )

    return post


def twilio_inbound(sid: str, body: str, sender: str = "+358401234567") -> dict[str, str]:
    """The fields Twilio posts for an incoming SMS (its Messaging webhook documentation)."""
    return {
        "ToCountry": "FI",
        "ToState": "",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "ToCity": "",
        "FromZip": "",
        "SmsSid": sid,
        "FromState": "",
        "SmsStatus": "received",
        "FromCity": "",
        "Body": body,
        "FromCountry": "FI",
        "To": "+358452220000",
        "ToZip": "",
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": TWILIO_SID,
        "From": sender,
        "ApiVersion": "2010-04-01",
    }
