"""Browser notifications by web push: the Push API with VAPID (RFC 8030, 8291, 8292).

An agent who keeps the desk's tab closed can still see "Maija mentioned
you": the browser subscribes once (``static/desk/push.js``), and each notice
is encrypted for that browser (aes128gcm, RFC 8291) and posted to its push
service with a VAPID signature (RFC 8292). The push service is the browser
maker's; Tiski only ever posts to the endpoint the browser gave, through the
channels' SSRF-safe HTTP helper, so a forged subscription cannot make the
server call an internal address.

The key pair is ``TISKI_VAPID_PRIVATE_KEY`` (a PEM) when set, otherwise one
made on first use and kept encrypted in the database for every process.
"""

from __future__ import annotations

import base64
import json
import logging
from functools import lru_cache

import http_ece
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from py_vapid import Vapid02

from tiski.connectors import transport
from tiski.notifications.models import PushSubscription, WebPushKey

log = logging.getLogger(__name__)

# Seconds a push service keeps an undelivered notice (the browser offline).
TTL_SECONDS = 24 * 3600


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _private_pem() -> str:
    configured = getattr(settings, "TISKI_VAPID_PRIVATE_KEY", "")
    if configured:
        return configured
    row = WebPushKey.objects.order_by("pk").first()
    if row is None:
        with transaction.atomic():
            key = ec.generate_private_key(ec.SECP256R1())
            pem = key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ).decode("ascii")
            WebPushKey.objects.create(private_pem=pem)
        # Two processes racing both insert; the first row wins for everyone.
        row = WebPushKey.objects.order_by("pk").first()
    return row.private_pem


@lru_cache(maxsize=4)
def _vapid(pem: str) -> Vapid02:
    return Vapid02.from_pem(pem.encode("ascii"))


def vapid() -> Vapid02:
    return _vapid(_private_pem())


def application_server_key() -> str:
    """The public key browsers subscribe with (uncompressed P-256 point, base64url)."""
    point = vapid().public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return _b64url(point)


def encrypt(subscription: PushSubscription, payload: bytes) -> bytes:
    """The payload encrypted for this browser alone (aes128gcm, a fresh key each time)."""
    server_key = ec.generate_private_key(ec.SECP256R1())
    return http_ece.encrypt(
        payload,
        private_key=server_key,
        dh=_b64url_decode(subscription.p256dh),
        auth_secret=_b64url_decode(subscription.auth),
        version="aes128gcm",
    )


def _audience(endpoint: str) -> str:
    parts = endpoint.split("/", 3)
    return "/".join(parts[:3])


def send(subscription: PushSubscription, message: dict) -> bool:
    """Post one notice to one browser; False when the subscription is gone.

    A push service answers 404 or 410 for a browser that unsubscribed or was
    reset: the subscription is deleted. Other failures are recorded on it and
    raised as ``TransportError`` for the task to retry or give up.
    """
    body = encrypt(subscription, json.dumps(message).encode("utf-8"))
    claims = {
        "aud": _audience(subscription.endpoint),
        "sub": getattr(settings, "TISKI_VAPID_SUBJECT", "") or "mailto:support@tiski.invalid",
    }
    headers = {
        **vapid().sign(claims),
        "TTL": str(TTL_SECONDS),
        "Content-Encoding": "aes128gcm",
        "Content-Type": "application/octet-stream",
        "Urgency": "normal",
    }
    try:
        response = transport.request(
            "POST", subscription.endpoint, data=body, headers=headers, timeout=10, check=False
        )
        if response.status in (404, 410):
            subscription.delete()
            return False
        transport.raise_for_status(response)
    except transport.TransportError as exc:
        PushSubscription.objects.filter(pk=subscription.pk).update(last_error=str(exc)[:500])
        raise
    PushSubscription.objects.filter(pk=subscription.pk).update(
        last_sent_at=timezone.now(), last_error=""
    )
    return True
