"""SMS to callers and click-to-call, against a fake provider on loopback."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import parse_qs

import pytest
import time_machine

from tests.conftest import PASSWORD
from tiski.connectors.models import MessageStatus
from tiski.connectors.phone.models import Callback, PhoneLine, SmsMessage

pytestmark = pytest.mark.django_db(transaction=True)

TUESDAY = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # 12:00 Helsinki


def missed(post_event, call_id):
    post_event({"call_id": call_id, "event": "ringing", "from": "040 123 4567"})
    post_event({"call_id": call_id, "event": "ended", "cause": "abandoned"})


@pytest.fixture
def sms_line(line):
    PhoneLine.objects.filter(pk=line.pk).update(callback_sms=True)
    return line


def test_generic_sms_once_a_day(settings, fake_provider, post_event, sms_line):
    """The caller gets the expected callback time once, however often they call."""
    settings.TISKI_SMS = {
        "kind": "http",
        "url": fake_provider.url + "/send",
        "token": "s3cret",
        "sender": "Tiski",
    }
    with time_machine.travel(TUESDAY, tick=False):
        missed(post_event, "s-1")
        missed(post_event, "s-2")
    assert Callback.objects.get().attempts == 2
    sms = SmsMessage.objects.get()
    assert sms.outbound.status == MessageStatus.SENT
    assert sms.outbound.provider_message_id == "fake-1"
    assert len(fake_provider.requests) == 1
    request = fake_provider.requests[0]
    assert request["headers"]["Authorization"] == "Bearer s3cret"
    body = json.loads(request["body"])
    assert body["to"] == "+358401234567" and body["from"] == "Tiski"
    # 12:00 + 2 business hours = 14:00 Helsinki, today
    assert "14.00" in body["text"] and "tänään" in body["text"]


def test_twilio_format(settings, fake_provider, post_event, sms_line):
    settings.TISKI_SMS = {
        "kind": "twilio",
        "account_sid": "AC123",
        "auth_token": "tok",
        "sender": "+358401110000",
        "base_url": fake_provider.url,
    }
    with time_machine.travel(TUESDAY, tick=False):
        missed(post_event, "t-1")
    request = fake_provider.requests[0]
    assert request["path"] == "/2010-04-01/Accounts/AC123/Messages.json"
    assert request["headers"]["Authorization"].startswith("Basic ")
    form = parse_qs(request["body"])
    assert form["To"] == ["+358401234567"] and form["From"] == ["+358401110000"]
    assert SmsMessage.objects.get().outbound.provider_message_id == "SMfake"


def test_failed_sms_is_kept(settings, fake_provider, post_event, sms_line):
    fake_provider.status = 400
    settings.TISKI_SMS = {"kind": "http", "url": fake_provider.url}
    with time_machine.travel(TUESDAY, tick=False):
        missed(post_event, "f-1")
    sms = SmsMessage.objects.get()
    assert sms.outbound.status == MessageStatus.FAILED and "HTTP 400" in sms.outbound.last_error
    assert Callback.objects.exists()  # a failed SMS never loses the callback


def test_click_to_call(client, fake_provider, line, make_user, team):
    PhoneLine.objects.filter(pk=line.pk).update(
        click_to_call_url=fake_provider.url + "/dial", click_to_call_secret="dialsecret"
    )
    agent = make_user(teams=(team,))
    client.login(username=agent.email, password=PASSWORD)
    page = client.get("/").content.decode()
    assert 'data-click-to-call="1"' in page
    response = client.post(
        "/phone/dial/",
        {"number": "040 123 4567", "ticket": "12"},
        headers={"Accept": "application/json"},
    )
    assert response.json() == {"ok": True, "number": "+358401234567"}
    request = fake_provider.requests[0]
    assert request["headers"]["Authorization"] == "Bearer dialsecret"
    assert json.loads(request["body"]) == {
        "to": "+358401234567",
        "agent_email": agent.email,
        "extension": "",
        "line": "+358942410000",
        "ticket": 12,
    }
    fake_provider.status = 500
    bad = client.post(
        "/phone/dial/", {"number": "040 123 4567"}, headers={"Accept": "application/json"}
    )
    assert bad.status_code == 502
