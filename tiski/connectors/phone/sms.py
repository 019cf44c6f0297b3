"""Outbound SMS: a generic HTTP JSON provider and Twilio's Messages API.

Configured by ``settings.TISKI_SMS`` (read when sending, never at import):

    {"kind": "http", "url": "https://sms.example/send", "token": "...", "sender": "Tiski"}
    {"kind": "twilio", "account_sid": "AC...", "auth_token": "...", "sender": "+358...",
     "base_url": "https://api.twilio.com"}

Each adapter sends through one module-level function (`http_json_post`,
`twilio_post`); the tests point the adapters at a fake provider on
127.0.0.1. The notice is an `OutboundMessage` in the one outbox, written
before any network call and sent after commit by the SMS channel's sender
(``connectors/sms/transport.py``), so a failed or slow provider never loses
the record or blocks the webhook's transaction, and a provider that is down
is retried with backoff.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tiski.connectors import transport
from tiski.connectors.messaging import outbox
from tiski.connectors.transport import Response, basic_auth
from tiski.core import desk
from tiski.core.secrets import resolve
from tiski.tickets.models import Channel

from .models import Callback, SmsMessage
from .texts import callback_sms_text

log = logging.getLogger(__name__)


def http_json_post(url: str, payload: dict, headers: dict[str, str]) -> Response:
    """The generic provider's only network call."""
    return transport.request("POST", url, json=payload, headers=headers)


def twilio_post(url: str, form: dict[str, str], account_sid: str, auth_token: str) -> Response:
    """Twilio's only network call: form-encoded, HTTP basic auth."""
    return transport.request(
        "POST", url, form=form, headers={"Authorization": basic_auth(account_sid, auth_token)}
    )


@dataclass(frozen=True)
class HttpJsonProvider:
    url: str
    token: str = ""
    sender: str = ""

    def send(self, to: str, text: str) -> str:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        data = http_json_post(
            self.url, {"to": to, "from": self.sender, "text": text}, headers
        ).json()
        return str(data.get("id", ""))


@dataclass(frozen=True)
class TwilioProvider:
    account_sid: str
    auth_token: str
    sender: str
    base_url: str = "https://api.twilio.com"

    def send(self, to: str, text: str) -> str:
        url = f"{self.base_url.rstrip('/')}/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        form = {"To": to, "From": self.sender, "Body": text}
        data = twilio_post(url, form, self.account_sid, self.auth_token).json()
        return str(data.get("sid", ""))


def get_provider() -> HttpJsonProvider | TwilioProvider | None:
    config = getattr(settings, "TISKI_SMS", None) or {}
    kind = config.get("kind")
    if kind == "http":
        return HttpJsonProvider(
            url=config["url"],
            token=resolve(config.get("token", "")),
            sender=config.get("sender", ""),
        )
    if kind == "twilio":
        return TwilioProvider(
            account_sid=config["account_sid"],
            auth_token=resolve(config["auth_token"]),
            sender=config["sender"],
            base_url=config.get("base_url", "https://api.twilio.com"),
        )
    return None


def expected_callback_at(callback: Callback, now: datetime) -> tuple[datetime, str] | None:
    """(deadline, time zone) from the SLA policy that matches the callback ticket."""
    from tiski.sla.services import matching_policy

    ticket = callback.ticket
    policy = matching_policy(ticket)
    if policy is None:
        return None
    target = policy.targets_for(ticket.priority).first_reply
    if target is None:
        return None
    calendar = policy.calendar.to_calendar()
    return calendar.add_business_time(now, target), policy.calendar.time_zone


def schedule_callback_sms(callback: Callback, *, now: datetime | None = None) -> SmsMessage | None:
    """Write the callback notice, at most one per number a (local) day; send after commit."""
    now = now or timezone.now()
    if get_provider() is None:
        return None
    expected = expected_callback_at(callback, now)
    if expected is None:
        return None
    due_at, tz = expected
    contact = callback.ticket.requester
    language = contact.language or desk.default_language()
    with translation.override(language):
        text = callback_sms_text(
            _("We will call you back by %(when)s."), due_at, language=language, tz=tz, now=now
        )
    day = now.astimezone(ZoneInfo(tz)).date()
    try:
        with transaction.atomic():
            sms = SmsMessage.objects.create(
                to=callback.number, text=text, day=day, callback=callback, created_at=now
            )
    except IntegrityError:
        return None  # this caller already got one today
    # No SMS number (account): the server-wide provider of TISKI_SMS_* sends it.
    sms.outbound = outbox.queue_message(
        channel=Channel.SMS,
        account_id=None,
        recipient=callback.number,
        body=text,
        ticket=callback.ticket,
        automatic=True,
        now=now,
    )
    sms.save(update_fields=["outbound"])
    return sms
