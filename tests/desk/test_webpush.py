"""Browser notifications: a notice reaches a subscribed browser through its push service.

The push service is imitated by an HTTP server on loopback; the test plays
the browser, with its own P-256 key and auth secret, and decrypts what the
service received, so the encryption (RFC 8291) and the VAPID signature
(RFC 8292) are checked as a browser and a push service would check them.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from django.test import Client
from django.urls import reverse

from tiski.desk import webpush
from tiski.notifications import services
from tiski.notifications.models import Kind, PushSubscription, WebPushKey


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Browser:
    """The browser's half of a push subscription."""

    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)

    @property
    def keys(self) -> dict[str, str]:
        public = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {"p256dh": b64url(public), "auth": b64url(self.auth)}

    def read(self, body: bytes) -> dict:
        plain = http_ece.decrypt(
            body, private_key=self.key, auth_secret=self.auth, version="aes128gcm"
        )
        return json.loads(plain)


class PushService:
    """A push service on loopback: records every POST, answers with ``status``."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.status = 201
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                service.received.append(
                    {
                        "path": self.path,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "body": body,
                    }
                )
                self.send_response(service.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def endpoint(self, name: str) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/push/{name}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def push_service():
    service = PushService()
    yield service
    service.close()


@pytest.fixture
def desk(make_team, make_user, make_ticket):
    tuki = make_team("Tuki")
    aino = make_user(name="Aino Agentti", email="aino@yritys.fi", teams=(tuki,), language="en")
    bertta = make_user(name="Bertta Berg", email="bertta@yritys.fi", teams=(tuki,), language="fi")
    ticket = make_ticket(subject="Lasku puuttuu", team=tuki)
    return {"aino": aino, "bertta": bertta, "ticket": ticket}


def _subscribe(user, endpoint: str, browser: Browser) -> PushSubscription:
    client = Client()
    client.force_login(user)
    response = client.post(
        reverse("desk:push-subscribe"),
        json.dumps({"endpoint": endpoint, "keys": browser.keys}),
        content_type="application/json",
        HTTP_USER_AGENT="Chromium testiselain",
    )
    assert response.status_code in (200, 201), response.content
    return PushSubscription.objects.get(pk=response.json()["id"])


def _mention(desk, django_capture_on_commit_callbacks) -> None:
    client = Client()
    client.force_login(desk["aino"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("desk:ticket-reply", args=[desk["ticket"].number]),
            {"kind": "internal", "text": "@bertta katsotko tämän?"},
        )
    assert response.status_code in (200, 302)


def _verify_vapid(headers: dict, audience: str) -> None:
    """The Authorization header is a valid ES256 JWT for this push service."""
    scheme, _space, params = headers["authorization"].partition(" ")
    assert scheme == "vapid"
    fields = dict(part.strip().split("=", 1) for part in params.split(","))
    header_b64, claims_b64, signature_b64 = fields["t"].split(".")
    claims = json.loads(unb64url(claims_b64))
    assert claims["aud"] == audience and claims["exp"] > time.time()
    assert claims["sub"].startswith(("mailto:", "https:"))
    point = unb64url(fields["k"])
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    raw = unb64url(signature_b64)
    signature = encode_dss_signature(
        int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
    )
    public.verify(signature, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
    # The key browsers subscribed with is the one that signs.
    assert fields["k"] == webpush.application_server_key()


def test_a_mention_pops_up_on_the_subscribed_browser(
    desk, push_service, django_capture_on_commit_callbacks
):
    browser = Browser()
    _subscribe(desk["bertta"], push_service.endpoint("bertta-1"), browser)
    _mention(desk, django_capture_on_commit_callbacks)

    (request,) = push_service.received
    assert request["path"] == "/push/bertta-1"
    assert request["headers"]["content-encoding"] == "aes128gcm"
    assert int(request["headers"]["ttl"]) > 0
    _verify_vapid(request["headers"], f"http://127.0.0.1:{push_service.server.server_port}")
    shown = browser.read(request["body"])
    ticket = desk["ticket"]
    assert shown["title"].startswith(f"#{ticket.number}") and "Lasku puuttuu" in shown["title"]
    # Written in Bertta's language (Finnish), naming who mentioned her.
    assert "Aino Agentti" in shown["body"] and "mainitsi" in shown["body"].lower()
    notice = desk["bertta"].notifications.get(kind=Kind.MENTION)
    assert shown["url"] == reverse("desk:notification-open", args=[notice.pk])
    # Only the browser's own key opens it: another browser cannot read it.
    with pytest.raises(http_ece.ECEException):
        Browser().read(request["body"])
    assert PushSubscription.objects.get().last_sent_at is not None


def test_a_gone_browser_is_forgotten_and_a_failing_one_does_not_stop_the_others(
    desk, push_service, django_capture_on_commit_callbacks
):
    failing, gone, working = Browser(), Browser(), Browser()
    second = PushService()
    try:
        _subscribe(desk["bertta"], second.endpoint("failing"), failing)
        _subscribe(desk["bertta"], push_service.endpoint("gone"), gone)
        second.status = 500
        # The first notice: one service fails, the other says the browser is gone.
        push_service.status = 410
        _mention(desk, django_capture_on_commit_callbacks)
        assert not PushSubscription.objects.filter(endpoint=push_service.endpoint("gone")).exists()
        kept = PushSubscription.objects.get(endpoint=second.endpoint("failing"))
        assert "500" in kept.last_error
        # A new browser on a working service gets the next notice although the other still fails.
        push_service.status = 201
        _subscribe(desk["bertta"], push_service.endpoint("working"), working)
        _mention(desk, django_capture_on_commit_callbacks)
        assert working.read(push_service.received[-1]["body"])["title"].startswith("#")
        assert len(second.received) == 2
    finally:
        second.close()


def test_push_never_goes_to_a_private_address_unless_allowed(
    desk, push_service, settings, django_capture_on_commit_callbacks
):
    _subscribe(desk["bertta"], push_service.endpoint("internal"), Browser())
    settings.TISKI_HTTP_ALLOW_PRIVATE = False
    _mention(desk, django_capture_on_commit_callbacks)
    assert push_service.received == []
    assert PushSubscription.objects.get().last_error


def test_notices_turned_off_are_not_pushed(desk, push_service, django_capture_on_commit_callbacks):
    _subscribe(desk["bertta"], push_service.endpoint("b"), Browser())
    services.save_settings(desk["bertta"], {Kind.MENTION: "off"})
    _mention(desk, django_capture_on_commit_callbacks)
    assert push_service.received == []


def test_subscribing_checks_the_keys_and_removing_is_only_ones_own(desk, push_service):
    client = Client()
    client.force_login(desk["bertta"])
    url = reverse("desk:push-subscribe")
    keys = Browser().keys
    bad = [
        b"not json",
        json.dumps({"keys": keys}),
        json.dumps({"endpoint": "ftp://example.com/x", "keys": keys}),
        json.dumps({"endpoint": push_service.endpoint("x"), "keys": {**keys, "p256dh": "abc"}}),
        json.dumps({"endpoint": push_service.endpoint("x"), "keys": {**keys, "auth": "%%%"}}),
    ]
    for body in bad:
        response = client.post(url, body, content_type="application/json")
        assert response.status_code == 400 and response.json()["error"]
    assert not PushSubscription.objects.exists()

    subscription = _subscribe(desk["bertta"], push_service.endpoint("x"), Browser())
    other = Client()
    other.force_login(desk["aino"])
    response = other.post(reverse("desk:push-remove", args=[subscription.pk]))
    assert response.status_code == 404 and PushSubscription.objects.exists()
    # The same browser subscribing as Aino (a shared computer) is Aino's now.
    again = _subscribe(desk["aino"], push_service.endpoint("x"), Browser())
    assert again.pk == subscription.pk and again.user == desk["aino"]
    response = other.post(reverse("desk:push-remove", args=[subscription.pk]))
    assert response.status_code == 302 and not PushSubscription.objects.exists()


def test_preferences_page_offers_this_browser_with_the_desks_key(desk, push_service):
    client = Client()
    client.force_login(desk["bertta"])
    page = client.get(reverse("desk:preferences")).content.decode()
    key = webpush.application_server_key()
    assert f'data-key="{key}"' in page and 'id="push-enable"' in page
    assert len(unb64url(key)) == 65 and unb64url(key)[0] == 4
    # Made once and kept: every process signs with the same key.
    assert WebPushKey.objects.count() == 1
    webpush._vapid.cache_clear()
    assert webpush.application_server_key() == key
    _subscribe(desk["bertta"], push_service.endpoint("listed"), Browser())
    page = client.get(reverse("desk:preferences")).content.decode()
    assert "Chromium testiselain" in page and 'id="push-browsers"' in page


def test_a_configured_key_is_used_instead_of_a_made_one(settings):
    key = ec.generate_private_key(ec.SECP256R1())
    settings.TISKI_VAPID_PRIVATE_KEY = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    assert webpush.application_server_key() == b64url(public)


def test_vapid_check_itself_fails_on_a_forged_signature(desk, push_service):
    """The test's verifier is not a rubber stamp: a changed claim fails it."""
    subscription = _subscribe(desk["bertta"], push_service.endpoint("f"), Browser())
    webpush.send(subscription, {"title": "x"})
    headers = dict(push_service.received[-1]["headers"])
    token = headers["authorization"].split("t=", 1)[1].split(",")[0]
    head, claims, signature = token.split(".")
    forged_claims = b64url(
        json.dumps(
            {"aud": "https://evil.example", "exp": 9999999999, "sub": "mailto:x@y.fi"}
        ).encode()
    )
    headers["authorization"] = headers["authorization"].replace(
        token, f"{head}.{forged_claims}.{signature}"
    )
    with pytest.raises(InvalidSignature):
        _verify_vapid(headers, "https://evil.example")
