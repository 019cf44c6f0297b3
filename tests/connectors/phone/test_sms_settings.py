"""The SMS provider is configured from TISKI_SMS_* environment variables."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from datetime import UTC, datetime

import pytest
import time_machine

from tiski import settings as tiski_settings
from tiski.connectors.models import MessageStatus
from tiski.connectors.phone.models import PhoneLine, SmsMessage
from tiski.connectors.phone.sms import HttpJsonProvider, TwilioProvider, get_provider

SMS_VARIABLES = (
    "TISKI_SMS_PROVIDER",
    "TISKI_SMS_URL",
    "TISKI_SMS_TOKEN",
    "TISKI_SMS_TOKEN_FILE",
    "TISKI_SMS_ACCOUNT_SID",
    "TISKI_SMS_AUTH_TOKEN",
    "TISKI_SMS_AUTH_TOKEN_FILE",
    "TISKI_SMS_FROM",
)
TUESDAY = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


@pytest.fixture
def sms_env(monkeypatch):
    """A clean slate of SMS variables; returns a setter."""
    for name in SMS_VARIABLES:
        monkeypatch.delenv(name, raising=False)

    def set_env(**values: str) -> None:
        for name, value in values.items():
            monkeypatch.setenv(name, value)

    return set_env


def test_no_variables_no_provider(sms_env):
    assert tiski_settings._sms_provider() is None


def test_half_configured_providers_stop_the_start(sms_env):
    """A provider without what it needs is an error at start-up, not at the first missed call."""
    sms_env(TISKI_SMS_PROVIDER="http_json")
    with pytest.raises(ValueError, match="TISKI_SMS_URL"):
        tiski_settings._sms_provider()
    sms_env(TISKI_SMS_PROVIDER="twilio", TISKI_SMS_ACCOUNT_SID="AC1")
    with pytest.raises(ValueError, match="TISKI_SMS_AUTH_TOKEN, TISKI_SMS_FROM"):
        tiski_settings._sms_provider()
    sms_env(TISKI_SMS_PROVIDER="carrier-pigeon")
    with pytest.raises(ValueError, match="http_json or twilio"):
        tiski_settings._sms_provider()


def test_settings_module_reads_the_variables_at_start(tmp_path):
    """A fresh process with the variables set has them in settings.TISKI_SMS; secrets from files."""
    token_file = tmp_path / "sms_token"
    token_file.write_text("from-a-file\n")
    env = {k: v for k, v in os.environ.items() if k not in SMS_VARIABLES}
    env.update(
        DJANGO_SETTINGS_MODULE="tiski.settings",
        TISKI_DATA_DIR=str(tmp_path),
        TISKI_SMS_PROVIDER="http_json",
        TISKI_SMS_URL="https://sms.example/send",
        TISKI_SMS_TOKEN_FILE=str(token_file),
        TISKI_SMS_FROM="Tiski",
    )
    script = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps(settings.TISKI_SMS))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, check=True, capture_output=True, text=True
    ).stdout
    assert json.loads(out.strip().splitlines()[-1]) == {
        "kind": "http",
        "url": "https://sms.example/send",
        "token": "from-a-file",
        "sender": "Tiski",
    }


@pytest.fixture
def sms_line(line):
    PhoneLine.objects.filter(pk=line.pk).update(callback_sms=True)
    return line


def missed_call(post_event, call_id: str) -> None:
    post_event({"call_id": call_id, "event": "ringing", "from": "040 123 4567"})
    post_event({"call_id": call_id, "event": "ended", "cause": "abandoned"})


@pytest.mark.django_db(transaction=True)
def test_http_json_variables_reach_the_provider(
    sms_env, settings, fake_provider, post_event, sms_line, tmp_path
):
    """URL, token (from a *_FILE) and sender from the environment are what the provider gets."""
    secret = tmp_path / "token"
    secret.write_text("s3cret-from-file")
    sms_env(
        TISKI_SMS_PROVIDER="http_json",
        TISKI_SMS_URL=fake_provider.url + "/send",
        TISKI_SMS_TOKEN_FILE=str(secret),
        TISKI_SMS_FROM="Tiski Oy",
    )
    settings.TISKI_SMS = tiski_settings._sms_provider()
    assert isinstance(get_provider(), HttpJsonProvider)
    with time_machine.travel(TUESDAY, tick=False):
        missed_call(post_event, "env-1")
    [request] = fake_provider.requests
    assert request["path"] == "/send"
    assert request["headers"]["Authorization"] == "Bearer s3cret-from-file"
    body = json.loads(request["body"])
    assert body["from"] == "Tiski Oy" and body["to"] == "+358401234567"
    assert SmsMessage.objects.get().outbound.status == MessageStatus.SENT


@pytest.mark.django_db(transaction=True)
def test_twilio_variables_reach_the_provider(
    sms_env, settings, fake_provider, post_event, sms_line
):
    """Account SID, auth token and sender from the environment; TISKI_SMS_URL as the API base."""
    sms_env(
        TISKI_SMS_PROVIDER="twilio",
        TISKI_SMS_URL=fake_provider.url,
        TISKI_SMS_ACCOUNT_SID="AC42",
        TISKI_SMS_AUTH_TOKEN="tw-token",
        TISKI_SMS_FROM="+358401110000",
    )
    settings.TISKI_SMS = tiski_settings._sms_provider()
    assert isinstance(get_provider(), TwilioProvider)
    with time_machine.travel(TUESDAY, tick=False):
        missed_call(post_event, "env-2")
    [request] = fake_provider.requests
    assert request["path"] == "/2010-04-01/Accounts/AC42/Messages.json"
    user_pass = base64.b64decode(request["headers"]["Authorization"].removeprefix("Basic "))
    assert user_pass == b"AC42:tw-token"
    assert "From=%2B358401110000" in request["body"]


def test_twilio_default_api_base(sms_env):
    sms_env(
        TISKI_SMS_PROVIDER="Twilio",
        TISKI_SMS_ACCOUNT_SID="AC42",
        TISKI_SMS_AUTH_TOKEN="tw-token",
        TISKI_SMS_FROM="+358401110000",
    )
    assert tiski_settings._sms_provider()["base_url"] == "https://api.twilio.com"
