"""The signature on every delivery: HMAC-SHA256 over ``timestamp.body``.

Headers: ``Tiski-Timestamp`` (Unix seconds) and ``Tiski-Signature``
(``v1=<hex>``). A receiver recomputes the HMAC with the subscription's
secret, compares in constant time and refuses old timestamps (replays).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

SIGNATURE_HEADER = "Tiski-Signature"
TIMESTAMP_HEADER = "Tiski-Timestamp"
EVENT_ID_HEADER = "Tiski-Event-Id"
EVENT_HEADER = "Tiski-Event"


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def verify(secret: str, timestamp: int, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, timestamp, body), signature)
