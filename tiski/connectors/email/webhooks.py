"""Inbound email from email service providers (ESP) posting to a webhook.

Each provider has two small functions here: ``verify_*`` (is this request
really from the provider, for this mailbox?) and ``extract_*`` (the raw
RFC 822 bytes and a stable key). The views in ``webhook_views.py`` call
them and hand the result to ``intake.accept``: no Django signals, one path.

Anymail's inbound views take one secret per project from settings, while
Tiski has a secret per mailbox, so the checks are written here; anymail's
``AnymailInboundMessage.construct`` rebuilds a MIME message when a provider
posts parsed fields instead of the raw message.

The only network calls (the Amazon SNS signing certificate and the SNS
subscription confirmation) go through ``_http_get``, which tests replace.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from email.parser import HeaderParser
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tiski.connectors import transport
from tiski.connectors.transport import TransportError

PROVIDERS = ("mailgun", "postmark", "sendgrid", "amazon_ses")

# Mailgun signs the moment it posts; a retry is signed again. Anything older
# than this is a replay of a captured request.
MAILGUN_MAX_AGE_SECONDS = 15 * 60

HTTP_TIMEOUT_SECONDS = 15

# SNS certificates live on sns.<region>.amazonaws.com (or .amazonaws.com.cn);
# a message naming any other host could carry an attacker's certificate.
_SNS_HOST = re.compile(r"^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$")


class Rejected(Exception):
    """The request is not provably from the provider: answer 403, store nothing."""


class Unavailable(Exception):
    """Cannot be checked or finished now (Amazon unreachable): answer 503, the sender retries."""


class UnknownPayload(Exception):
    """Signed correctly but not an email we understand: keep it in quarantine."""


@dataclass(frozen=True)
class Extracted:
    """What a provider delivered: the raw message and a key unique per message."""

    key: str
    raw: bytes


@dataclass(frozen=True)
class SnsConfirmation:
    """An SNS subscription to confirm (or an unsubscribe notice to ignore)."""

    confirm_url: str | None


# --- the one network call ----------------------------------------------------------


def _http_get(url: str) -> bytes:
    """GET a URL; the one outbound HTTP call of the webhooks (tests patch it)."""
    return transport.request("GET", url, timeout=HTTP_TIMEOUT_SECONDS).body


# --- shared helpers ----------------------------------------------------------------


def sha256_key(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def check_basic_auth(authorization: str | None, secret: str) -> None:
    """HTTP basic auth with the mailbox's webhook secret as the password.

    Postmark, SendGrid and SNS can only authenticate by credentials in the
    webhook URL (https://user:secret@host/...); the user name is not checked
    because providers' consoles differ in what they let one type there.
    """
    if not secret:
        raise Rejected("the mailbox has no webhook secret")
    if not authorization or not authorization.lower().startswith("basic "):
        raise Rejected("no basic auth")
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise Rejected("malformed basic auth") from exc
    _user, sep, password = decoded.partition(":")
    if not sep or not hmac.compare_digest(password.encode(), secret.encode()):
        raise Rejected("wrong basic auth password")


def _message_id(raw_headers: str) -> str | None:
    headers = HeaderParser().parsestr(raw_headers, headersonly=True)
    message_id = str(headers.get("Message-ID") or "").strip().strip("<>").strip()
    return message_id or None


def _construct(**fields: Any) -> bytes:
    # Imported here: anymail's modules read Django settings on import.
    from anymail.inbound import AnymailInboundMessage

    message = AnymailInboundMessage.construct(**fields)
    # Providers post header values decoded ("Meikäläinen"); refolding every
    # header turns non-ASCII back into RFC 2047 encoded words on the way out.
    return message.as_bytes(policy=message.policy.clone(refold_source="all"))


def _attachment(content_type: str, content: bytes, filename: str | None, content_id: str | None):
    from anymail.inbound import AnymailInboundMessage

    return AnymailInboundMessage.construct_attachment(
        content_type=content_type or "application/octet-stream",
        content=content,
        filename=filename,
        content_id=content_id or None,
    )


# --- Mailgun -----------------------------------------------------------------------


def verify_mailgun(fields: Mapping[str, str], secret: str, now: float | None = None) -> None:
    """HMAC-SHA256 of timestamp + token under the signing key, and a fresh timestamp."""
    if not secret:
        raise Rejected("the mailbox has no webhook secret")
    timestamp = fields.get("timestamp") or ""
    token = fields.get("token") or ""
    signature = fields.get("signature") or ""
    if not (timestamp and token and signature):
        raise Rejected("signature fields missing")
    expected = hmac.new(secret.encode(), (timestamp + token).encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature.lower()):
        raise Rejected("wrong signature")
    try:
        age = (time.time() if now is None else now) - int(timestamp)
    except ValueError as exc:
        raise Rejected("timestamp is not a number") from exc
    if abs(age) > MAILGUN_MAX_AGE_SECONDS:
        raise Rejected("stale timestamp")


def extract_mailgun(fields: Mapping[str, str], files: Mapping[str, Any]) -> Extracted:
    """A Mailgun route's forward(): raw MIME ("body-mime", URL ending in mime) or parsed."""
    if fields.get("body-mime"):
        raw = fields["body-mime"].encode("utf-8", "surrogateescape")
        return Extracted(sha256_key(raw), raw)
    try:
        headers = json.loads(fields.get("message-headers") or "null")
    except ValueError as exc:
        raise UnknownPayload("message-headers is not JSON") from exc
    if not isinstance(headers, list) or not fields.get("from"):
        raise UnknownPayload("neither body-mime nor parsed message fields")
    raw_headers = "".join(
        f"{name}: {value}\n"
        for pair in headers
        if isinstance(pair, list) and len(pair) == 2
        for name, value in [pair]
        # The body parts are rebuilt below; their old headers would lie.
        if name.lower() not in ("content-type", "content-transfer-encoding", "mime-version")
    )
    attachments = [
        _attachment(upload.content_type, upload.read(), upload.name, None)
        for name, upload in sorted(files.items())
        if name.startswith("attachment-")
    ]
    raw = _construct(
        raw_headers=raw_headers,
        text=fields.get("body-plain") or None,
        html=fields.get("body-html") or None,
        attachments=attachments,
    )
    message_id = _message_id(raw_headers)
    return Extracted(f"message-id:{message_id}" if message_id else sha256_key(raw), raw)


# --- Postmark ----------------------------------------------------------------------


def extract_postmark(body: bytes) -> Extracted:
    """Postmark's inbound JSON; RawEmail when "include raw email content" is on."""
    try:
        event = json.loads(body)
    except ValueError as exc:
        raise UnknownPayload("body is not JSON") from exc
    if not isinstance(event, dict) or event.get("RecordType", "Inbound") != "Inbound":
        raise UnknownPayload("not an Inbound record")
    provider_id = str(event.get("MessageID") or "")
    if event.get("RawEmail"):
        raw = str(event["RawEmail"]).encode("utf-8", "surrogateescape")
    elif event.get("From"):
        headers = [
            (h["Name"], h["Value"])
            for h in event.get("Headers") or []
            if isinstance(h, dict) and "Name" in h and "Value" in h
        ]
        if event.get("Date"):
            headers.insert(0, ("Date", event["Date"]))
        if event.get("ReplyTo"):
            headers.append(("Reply-To", event["ReplyTo"]))
        try:
            attachments = [
                _attachment(
                    a.get("ContentType", ""),
                    base64.b64decode(a.get("Content") or a.get("Data") or ""),
                    a.get("Name"),
                    (a.get("ContentID") or "").strip("<>"),
                )
                for a in event.get("Attachments") or []
            ]
        except (binascii.Error, AttributeError) as exc:
            raise UnknownPayload("attachment content is not base64") from exc
        raw = _construct(
            from_email=_display(
                (event.get("FromFull") or {}).get("Name") or event.get("FromName"), event["From"]
            ),
            to=event.get("To") or None,
            cc=event.get("Cc") or None,
            subject=event.get("Subject") or None,
            headers=[(n, v) for n, v in headers if n.lower() not in _REBUILT_HEADERS],
            text=event.get("TextBody") or None,
            html=event.get("HtmlBody") or None,
            attachments=attachments,
        )
    else:
        raise UnknownPayload("neither RawEmail nor message fields")
    return Extracted(f"postmark:{provider_id}" if provider_id else sha256_key(raw), raw)


_REBUILT_HEADERS = {
    "from",
    "to",
    "cc",
    "subject",
    "content-type",
    "content-transfer-encoding",
    "mime-version",
}


def _display(name: str | None, address: str) -> str:
    from email.headerregistry import Address

    try:
        return str(Address(display_name=name or "", addr_spec=address))
    except (ValueError, IndexError):
        return address


# --- SendGrid ----------------------------------------------------------------------


def extract_sendgrid(fields: Mapping[str, str], files: Mapping[str, Any]) -> Extracted:
    """SendGrid Inbound Parse: raw ("email", with "POST the raw MIME") or parsed fields."""
    if fields.get("email"):
        raw = fields["email"].encode("utf-8", "surrogateescape")
        return Extracted(sha256_key(raw), raw)
    if not fields.get("headers") or not fields.get("from"):
        raise UnknownPayload("neither email nor parsed message fields")
    try:
        info = json.loads(fields.get("attachment-info") or "{}")
    except ValueError:
        info = {}
    raw_headers = "".join(
        line + "\n"
        for line in fields["headers"].replace("\r\n", "\n").split("\n")
        if line
        and not line.lower().startswith(
            ("content-type:", "content-transfer-encoding:", "mime-version:")
        )
    )
    attachments = []
    for name, upload in sorted(files.items()):
        meta = info.get(name) if isinstance(info, dict) else None
        meta = meta if isinstance(meta, dict) else {}
        attachments.append(
            _attachment(
                meta.get("type") or upload.content_type,
                upload.read(),
                meta.get("filename") or upload.name,
                meta.get("content-id"),
            )
        )
    raw = _construct(
        raw_headers=raw_headers,
        text=fields.get("text") or None,
        html=fields.get("html") or None,
        attachments=attachments,
    )
    message_id = _message_id(raw_headers)
    return Extracted(f"message-id:{message_id}" if message_id else sha256_key(raw), raw)


# --- Amazon SES through SNS ----------------------------------------------------------

_SNS_SIGNED_KEYS = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": (
        "Message",
        "MessageId",
        "SubscribeURL",
        "Timestamp",
        "Token",
        "TopicArn",
        "Type",
    ),
}
_SNS_SIGNED_KEYS["UnsubscribeConfirmation"] = _SNS_SIGNED_KEYS["SubscriptionConfirmation"]


def parse_sns(body: bytes) -> dict[str, Any]:
    try:
        envelope = json.loads(body)
    except ValueError as exc:
        raise Rejected("body is not JSON") from exc
    if not isinstance(envelope, dict) or envelope.get("Type") not in _SNS_SIGNED_KEYS:
        # Without a known type nothing can be verified: not even a quarantine.
        raise Rejected("not an SNS message")
    return envelope


def check_sns_url(url: str) -> None:
    """An SNS certificate or subscription URL must be https on an SNS host."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not _SNS_HOST.match(parts.hostname or ""):
        raise Rejected(f"not an Amazon SNS URL: {url[:100]}")


def sns_string_to_sign(envelope: Mapping[str, Any]) -> bytes:
    keys = _SNS_SIGNED_KEYS[envelope["Type"]]
    return "".join(
        f"{key}\n{envelope[key]}\n" for key in keys if envelope.get(key) is not None
    ).encode()


def verify_sns(envelope: Mapping[str, Any]) -> None:
    """Check the SNS signature against Amazon's certificate (SignatureVersion 1 or 2).

    This proves the message came from SNS, not that it came from *our*
    topic: anyone can publish to their own topic. The view therefore also
    requires basic auth with the mailbox's webhook secret.
    """
    cert_url = str(envelope.get("SigningCertURL") or envelope.get("SigningCertUrl") or "")
    check_sns_url(cert_url)
    version = str(envelope.get("SignatureVersion") or "")
    algorithm = {"1": hashes.SHA1(), "2": hashes.SHA256()}.get(version)  # noqa: S303
    if algorithm is None:
        raise Rejected(f"unknown SNS SignatureVersion {version!r}")
    try:
        signature = base64.b64decode(str(envelope.get("Signature") or ""), validate=True)
    except binascii.Error as exc:
        raise Rejected("signature is not base64") from exc
    try:
        certificate = x509.load_pem_x509_certificate(_sns_certificate(cert_url))
    except ValueError as exc:
        raise Rejected("the signing certificate cannot be read") from exc
    key = certificate.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise Rejected("the signing certificate is not RSA")
    try:
        key.verify(signature, sns_string_to_sign(envelope), padding.PKCS1v15(), algorithm)
    except InvalidSignature as exc:
        raise Rejected("wrong SNS signature") from exc


# Certificates change rarely and every SNS message names one: fetch each once
# per process rather than once per email.
_cert_cache: dict[str, bytes] = {}


def _sns_certificate(url: str) -> bytes:
    if url not in _cert_cache:
        try:
            _cert_cache[url] = _http_get(url)
        except (OSError, TransportError) as exc:
            # Not provable now; SNS retries a 5xx, and then the fetch may work.
            raise Unavailable(f"cannot fetch the signing certificate: {exc}") from exc
    return _cert_cache[url]


def sns_confirmation(envelope: Mapping[str, Any]) -> SnsConfirmation | None:
    """A verified subscription message, or None for a notification."""
    if envelope["Type"] == "SubscriptionConfirmation":
        url = str(envelope.get("SubscribeURL") or "")
        check_sns_url(url)
        return SnsConfirmation(url)
    if envelope["Type"] == "UnsubscribeConfirmation":
        return SnsConfirmation(None)
    return None


def confirm_sns_subscription(confirmation: SnsConfirmation) -> None:
    if confirmation.confirm_url:
        try:
            _http_get(confirmation.confirm_url)
        except (OSError, TransportError) as exc:
            raise Unavailable(f"cannot confirm the SNS subscription: {exc}") from exc


def extract_ses(envelope: Mapping[str, Any]) -> Extracted:
    """The SES "Received" notification carried by a verified SNS Notification."""
    try:
        message = json.loads(envelope.get("Message") or "")
    except ValueError as exc:
        raise UnknownPayload("SNS Message is not JSON") from exc
    if not isinstance(message, dict) or message.get("notificationType") != "Received":
        raise UnknownPayload("not an SES Received notification")
    mail = message.get("mail") if isinstance(message.get("mail"), dict) else {}
    action = (message.get("receipt") or {}).get("action") or {}
    content = message.get("content")
    if not isinstance(content, str):
        # The S3 action stores the mail in a bucket; Tiski does not read S3.
        raise UnknownPayload(
            f"no content in the notification (receipt action {action.get('type')!r}); "
            "use an SNS action, not S3"
        )
    if action.get("encoding", "UTF8").upper() == "BASE64":
        try:
            raw = base64.b64decode(content, validate=False)
        except binascii.Error as exc:
            raise UnknownPayload("content is not base64") from exc
    else:
        raw = content.encode("utf-8", "surrogateescape")
    provider_id = str(mail.get("messageId") or "")
    return Extracted(f"ses:{provider_id}" if provider_id else sha256_key(raw), raw)
