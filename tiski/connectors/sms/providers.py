"""What differs per SMS provider: webhook signatures, payload fields, the send call.

Generic HTTP/JSON (any gateway that can post JSON and take a POST):
inbound ``{"id", "from", "to", "text", "sent_at"?, "part"?, "total"?, "ref"?,
"reply_to"?}``
(a long message in parts: ``part`` of ``total`` with one ``ref``), status
``{"id", "status": "sent"|"delivered"|"read"|"failed", "error"?}``, both
signed with ``X-Tiski-Signature: sha256=<hex HMAC-SHA256 of the body>``
under the account's webhook secret; outgoing ``{"to", "from", "text"}`` with
``Authorization: Bearer <API token>``, answered ``{"id": ...}``.

Twilio: form-encoded webhooks signed with ``X-Twilio-Signature`` (base64
HMAC-SHA1 under the auth token of the full URL followed by every parameter
name and value, sorted by name); Twilio joins long messages itself.
Outgoing through the Messages API with basic auth (account SID, auth token).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qsl

from django.conf import settings
from django.urls import reverse
from django.utils.dateparse import parse_datetime

from tiski.connectors import transport
from tiski.connectors.messaging.inbound import Malformed
from tiski.core.secrets import resolve
from tiski.customers.phones import to_e164

from .models import Provider, SmsAccount

TWILIO_API = "https://api.twilio.com"
GENERIC_SIGNATURE = "X-Tiski-Signature"
TWILIO_SIGNATURE = "X-Twilio-Signature"
# Twilio's MessageStatus values, as ours (the rest: still on its way).
_TWILIO_STATUS = {
    "sent": "sent",
    "delivered": "delivered",
    "read": "read",
    "failed": "failed",
    "undelivered": "failed",
}
_GENERIC_STATUS = {"sent", "delivered", "read", "failed"}


class Unsigned(Exception):
    """No signature: 401."""


class BadSignature(Exception):
    """A signature that does not match: 403."""


@dataclass(frozen=True)
class ParsedSms:
    provider_id: str
    sender: str  # E.164
    text: str
    sent_at: datetime | None = None
    part: int = 1
    total: int = 1
    ref: str = ""
    reply_to_id: str = ""


@dataclass(frozen=True)
class ParsedStatus:
    provider_id: str
    status: str
    error: str = ""


# --- signatures ----------------------------------------------------------------------


def verify(account: SmsAccount, *, url: str, body: bytes, headers: dict[str, str]) -> None:
    if account.provider == Provider.TWILIO:
        given = headers.get(TWILIO_SIGNATURE, "")
        if not given:
            raise Unsigned
        params = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        expected = twilio_signature(resolve(account.api_token), url, params)
    else:
        given = headers.get(GENERIC_SIGNATURE, "")
        if not given:
            raise Unsigned
        expected = generic_signature(resolve(account.webhook_secret), body)
    if not hmac.compare_digest(given.strip().encode(), expected.encode()):
        raise BadSignature


def generic_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def twilio_signature(auth_token: str, url: str, params: list[tuple[str, str]]) -> str:
    data = url + "".join(f"{k}{v}" for k, v in sorted(params, key=lambda kv: kv[0]))
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


# --- inbound payloads ----------------------------------------------------------------


def _number(value: object) -> str:
    number = to_e164(str(value or ""))
    if not number:
        raise Malformed(f"not a phone number: {str(value)[:40]!r}")
    return number


def parse_inbound(account: SmsAccount, body: bytes) -> ParsedSms:
    if account.provider == Provider.TWILIO:
        form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        if not form.get("MessageSid"):
            raise Malformed("no MessageSid")
        return ParsedSms(
            provider_id=form["MessageSid"],
            sender=_number(form.get("From")),
            text=form.get("Body", ""),
        )
    data = _json(body)
    if not data.get("id") or "text" not in data:
        raise Malformed("no id or text")
    try:
        part, total = int(data.get("part") or 1), int(data.get("total") or 1)
    except (TypeError, ValueError) as exc:
        raise Malformed("part and total must be numbers") from exc
    if not 1 <= part <= total <= 50:
        raise Malformed(f"part {part} of {total}")
    sent_at = parse_datetime(str(data["sent_at"])) if data.get("sent_at") else None
    return ParsedSms(
        provider_id=str(data["id"])[:200],
        sender=_number(data.get("from")),
        text=str(data.get("text") or ""),
        sent_at=sent_at,
        part=part,
        total=total,
        ref=str(data.get("ref") or "")[:100],
        reply_to_id=str(data.get("reply_to") or "")[:200],
    )


def parse_status(account: SmsAccount, body: bytes) -> ParsedStatus | None:
    """A delivery receipt, or None for a state we do not show (queued, accepted)."""
    if account.provider == Provider.TWILIO:
        form = dict(parse_qsl(body.decode("utf-8", "replace")))
        if not form.get("MessageSid"):
            raise Malformed("no MessageSid")
        status = _TWILIO_STATUS.get(form.get("MessageStatus", ""))
        error = f"Twilio error {form['ErrorCode']}" if form.get("ErrorCode") else ""
        return ParsedStatus(form["MessageSid"], status, error) if status else None
    data = _json(body)
    if not data.get("id") or not data.get("status"):
        raise Malformed("no id or status")
    status = str(data["status"])
    if status not in _GENERIC_STATUS:
        return None
    return ParsedStatus(str(data["id"]), status, str(data.get("error") or "")[:2000])


def _json(body: bytes) -> dict:
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise Malformed("not JSON") from exc
    if not isinstance(data, dict):
        raise Malformed("not a JSON object")
    return data


# --- sending -------------------------------------------------------------------------


def send(account: SmsAccount, to: str, text: str) -> str:
    """Send one SMS; the provider's message id. Raises TransportError."""
    token = resolve(account.api_token)
    if account.provider == Provider.TWILIO:
        base = (account.api_url or TWILIO_API).rstrip("/")
        form = {"To": to, "From": account.number, "Body": text}
        if settings.TISKI_BASE_URL:
            form["StatusCallback"] = settings.TISKI_BASE_URL.rstrip("/") + reverse(
                "sms:status", args=[account.pk]
            )
        response = transport.request(
            "POST",
            f"{base}/2010-04-01/Accounts/{account.account_sid}/Messages.json",
            form=form,
            headers={"Authorization": transport.basic_auth(account.account_sid, token)},
        )
        return str(response.json().get("sid", ""))
    if not account.api_url:
        raise transport.TransportError("No API address is set for this SMS number.", permanent=True)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    payload = {"to": to, "from": account.number, "text": text}
    response = transport.request("POST", account.api_url, json=payload, headers=headers)
    return str(response.json().get("id", ""))
