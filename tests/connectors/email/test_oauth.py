"""OAuth2 for Microsoft 365 and Google mailboxes: PKCE, code exchange, refresh, XOAUTH2.

Token calls go to a fake token endpoint on 127.0.0.1 (a real HTTP server in
a thread) through ``oauth._post_form``, so the urllib path runs for real.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from tiski.connectors.email import oauth, oauth_views
from tiski.connectors.models import AuthMethod, Mailbox

# --- a fake token endpoint --------------------------------------------------------


class FakeTokenEndpoint:
    """Answers queued (status, json) replies and records each form it receives."""

    def __init__(self) -> None:
        self.requests: list[dict[str, str]] = []
        self.replies: list[tuple[int, dict]] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                form = dict(parse_qsl(self.rfile.read(length).decode()))
                endpoint.requests.append({**form, "_path": self.path})
                status, body = endpoint.replies.pop(0) if endpoint.replies else (500, {})
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def reply(self, status: int, body: dict) -> None:
        self.replies.append((status, body))

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def endpoint(monkeypatch):
    """Routes the one HTTP function to the fake server, keeping the real provider path."""
    fake = FakeTokenEndpoint()
    real_post = oauth._post_form
    seen_urls: list[str] = []

    def post_form(url: str, data: dict[str, str]) -> dict:
        seen_urls.append(url)
        return real_post(fake.url + urlsplit(url).path, data)

    monkeypatch.setattr(oauth, "_post_form", post_form)
    fake.seen_urls = seen_urls
    yield fake
    fake.close()


def tokens(access="at-1", refresh="rt-1", expires_in=3599) -> dict:
    body = {"token_type": "Bearer", "access_token": access, "expires_in": expires_in}
    if refresh:
        body["refresh_token"] = refresh
    return body


@pytest.fixture
def microsoft(db) -> Mailbox:
    return Mailbox.objects.create(
        address="asiakaspalvelu@yritys.fi",
        auth_method=AuthMethod.MICROSOFT,
        oauth_client_id="11111111-2222-3333-4444-555555555555",
        oauth_client_secret="ms-client-secret",
        oauth_tenant="yritys.onmicrosoft.com",
    )


@pytest.fixture
def google(db) -> Mailbox:
    return Mailbox.objects.create(
        address="tuki@yritys.fi",
        auth_method=AuthMethod.GOOGLE,
        oauth_client_id="1234-abc.apps.googleusercontent.com",
        oauth_client_secret="g-client-secret",
    )


def connected(mailbox: Mailbox, expires_in: timedelta, access="old-at", refresh="old-rt"):
    Mailbox.objects.filter(pk=mailbox.pk).update(
        oauth_access_token=access,
        oauth_refresh_token=refresh,
        oauth_expires_at=timezone.now() + expires_in,
    )
    return Mailbox.objects.get(pk=mailbox.pk)


# --- authorization URL and PKCE -----------------------------------------------------


def test_pkce_challenge_matches_rfc_7636_example():
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert oauth.code_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    assert 43 <= len(oauth.new_code_verifier()) <= 128


def test_microsoft_authorization_url(microsoft):
    url = oauth.authorization_url(microsoft, "https://tiski.example/cb/", "st4te", "v" * 50)
    parts = urlsplit(url)
    params = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert parts.netloc == "login.microsoftonline.com"
    assert parts.path == "/yritys.onmicrosoft.com/oauth2/v2.0/authorize"
    assert params["scope"] == (
        "offline_access https://outlook.office.com/IMAP.AccessAsUser.All "
        "https://outlook.office.com/SMTP.Send"
    )
    assert params["client_id"] == microsoft.oauth_client_id
    assert params["response_type"] == "code"
    assert params["redirect_uri"] == "https://tiski.example/cb/"
    assert params["state"] == "st4te"
    assert params["code_challenge_method"] == "S256"
    expected = base64.urlsafe_b64encode(hashlib.sha256(b"v" * 50).digest()).rstrip(b"=")
    assert params["code_challenge"] == expected.decode()
    assert "code_verifier" not in params and "client_secret" not in url


def test_microsoft_tenant_defaults_to_common(microsoft):
    microsoft.oauth_tenant = ""
    url = oauth.authorization_url(microsoft, "https://t/cb/", "s", "v" * 50)
    assert urlsplit(url).path == "/common/oauth2/v2.0/authorize"


def test_google_authorization_url(google):
    url = oauth.authorization_url(google, "https://tiski.example/cb/", "s", "v" * 50)
    parts = urlsplit(url)
    params = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == oauth.GOOGLE_AUTHORIZE_URL
    assert params["scope"] == "https://mail.google.com/"
    assert params["access_type"] == "offline" and params["prompt"] == "consent"
    assert params["code_challenge_method"] == "S256"


def test_password_mailbox_has_no_oauth(microsoft):
    microsoft.auth_method = AuthMethod.PASSWORD
    with pytest.raises(oauth.OAuthError) as info:
        oauth.authorization_url(microsoft, "https://t/cb/", "s", "v" * 50)
    assert info.value.permanent


# --- code exchange -------------------------------------------------------------------


def test_exchange_code_stores_encrypted_tokens(microsoft, endpoint):
    endpoint.reply(200, tokens("access-SECRET-1", "refresh-SECRET-1", 3599))
    oauth.exchange_code(microsoft, "the-code", "https://tiski.example/cb/", "verifier-123")

    sent = endpoint.requests[0]
    assert endpoint.seen_urls == [
        "https://login.microsoftonline.com/yritys.onmicrosoft.com/oauth2/v2.0/token"
    ]
    assert sent["grant_type"] == "authorization_code"
    assert sent["code"] == "the-code" and sent["code_verifier"] == "verifier-123"
    assert sent["redirect_uri"] == "https://tiski.example/cb/"
    assert sent["client_secret"] == "ms-client-secret"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT oauth_access_token, oauth_refresh_token FROM comms_mailbox WHERE id = %s",
            [microsoft.pk],
        )
        stored_access, stored_refresh = cursor.fetchone()
    assert "SECRET" not in stored_access and stored_access.startswith("fernet:")
    assert "SECRET" not in stored_refresh and stored_refresh.startswith("fernet:")
    box = Mailbox.objects.get(pk=microsoft.pk)
    assert box.oauth_access_token == "access-SECRET-1"
    assert box.oauth_refresh_token == "refresh-SECRET-1"
    remaining = box.oauth_expires_at - timezone.now()
    assert timedelta(seconds=3500) < remaining <= timedelta(seconds=3599)


def test_exchange_without_refresh_token_is_an_error(google, endpoint):
    endpoint.reply(200, tokens(refresh=None))
    with pytest.raises(oauth.OAuthError) as info:
        oauth.exchange_code(google, "c", "https://t/cb/", "v")
    assert info.value.permanent
    assert not Mailbox.objects.get(pk=google.pk).oauth_access_token


# --- access tokens and refresh ---------------------------------------------------------


def test_fresh_token_is_returned_without_a_call(microsoft, endpoint):
    box = connected(microsoft, timedelta(minutes=30))
    assert oauth.access_token(box) == "old-at"
    assert endpoint.requests == []


def test_token_expiring_within_five_minutes_is_refreshed_and_rotated(microsoft, endpoint):
    """Microsoft sends a new refresh token with each refresh: it replaces the old one."""
    box = connected(microsoft, timedelta(minutes=4))
    endpoint.reply(200, tokens("new-at", "new-rt", 3600))
    assert oauth.access_token(box) == "new-at"
    sent = endpoint.requests[0]
    assert sent["grant_type"] == "refresh_token" and sent["refresh_token"] == "old-rt"
    stored = Mailbox.objects.get(pk=microsoft.pk)
    assert stored.oauth_refresh_token == "new-rt" and stored.oauth_access_token == "new-at"
    assert box.oauth_refresh_token == "new-rt"  # the caller's instance is updated too
    # And now it is fresh: no second call.
    assert oauth.access_token(stored) == "new-at" and len(endpoint.requests) == 1


def test_google_refresh_without_new_refresh_token_keeps_the_old(google, endpoint):
    box = connected(google, timedelta(minutes=-1))
    endpoint.reply(200, tokens("g-at-2", refresh=None))
    assert oauth.access_token(box) == "g-at-2"
    assert Mailbox.objects.get(pk=google.pk).oauth_refresh_token == "old-rt"
    assert endpoint.seen_urls == [oauth.GOOGLE_TOKEN_URL]


def test_invalid_grant_is_permanent(microsoft, endpoint):
    """A revoked or expired refresh token: the admin must reconnect."""
    box = connected(microsoft, timedelta(seconds=10))
    endpoint.reply(
        400,
        {
            "error": "invalid_grant",
            "error_description": "AADSTS70008: The refresh token has expired due to inactivity.",
        },
    )
    with pytest.raises(oauth.OAuthError) as info:
        oauth.access_token(box)
    assert info.value.permanent
    assert "invalid_grant" in info.value.message and "AADSTS70008" in info.value.message
    assert Mailbox.objects.get(pk=microsoft.pk).oauth_refresh_token == "old-rt"


def test_server_error_is_temporary(microsoft, endpoint):
    box = connected(microsoft, timedelta(seconds=10))
    endpoint.reply(503, {"error": "temporarily_unavailable"})
    with pytest.raises(oauth.OAuthError) as info:
        oauth.access_token(box)
    assert not info.value.permanent


def test_unreachable_endpoint_is_temporary(microsoft, monkeypatch):
    real_post = oauth._post_form
    # A port nobody listens on: connection refused, as when the network is down.
    monkeypatch.setattr(
        oauth, "_post_form", lambda url, data: real_post("http://127.0.0.1:9/t", data)
    )
    box = connected(microsoft, timedelta(seconds=10))
    with pytest.raises(oauth.OAuthError) as info:
        oauth.access_token(box)
    assert not info.value.permanent


def test_not_connected_mailbox_is_a_permanent_error(microsoft):
    with pytest.raises(oauth.OAuthError) as info:
        oauth.access_token(microsoft)
    assert info.value.permanent


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_expiry_make_one_refresh(monkeypatch):
    """The row lock makes the second worker wait and reuse the first one's token."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks are what is under test; SQLite serialises whole transactions")
    mailbox = Mailbox.objects.create(
        address="rinnakkain@yritys.fi",
        auth_method=AuthMethod.MICROSOFT,
        oauth_client_id="cid",
        oauth_access_token="old-at",
        oauth_refresh_token="old-rt",
        oauth_expires_at=timezone.now() + timedelta(seconds=30),
    )
    calls: list[str] = []

    def slow_post(url: str, data: dict[str, str]) -> dict:
        calls.append(data["refresh_token"])
        time.sleep(0.5)  # long enough for the other worker to reach the lock
        return tokens(f"at-{len(calls)}", f"rt-{len(calls)}")

    monkeypatch.setattr(oauth, "_post_form", slow_post)
    barrier = threading.Barrier(2)
    results: list[str] = []
    errors: list[BaseException] = []

    def worker() -> None:
        from django.db import connection as thread_connection

        try:
            box = Mailbox.objects.get(pk=mailbox.pk)
            barrier.wait()
            results.append(oauth.access_token(box))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    assert calls == ["old-rt"]
    assert results == ["at-1", "at-1"]
    assert Mailbox.objects.get(pk=mailbox.pk).oauth_refresh_token == "rt-1"


# --- XOAUTH2 -----------------------------------------------------------------------------


def test_xoauth2_strings():
    raw = oauth.xoauth2_string("tuki@yritys.fi", "ya29.token")
    assert raw == "user=tuki@yritys.fi\x01auth=Bearer ya29.token\x01\x01"
    assert base64.b64decode(oauth.xoauth2_base64("tuki@yritys.fi", "ya29.token")).decode() == raw


def test_smtp_authobject_sends_the_string_then_an_empty_answer_to_an_error_challenge():
    """smtplib calls authobject() first, then authobject(challenge) on a 334 error."""
    authobject = oauth.smtp_xoauth2("tuki@yritys.fi", "tok")
    assert authobject() == oauth.xoauth2_string("tuki@yritys.fi", "tok")
    assert authobject(b'{"status":"401"}') == ""


def test_smtplib_auth_sends_base64_of_the_raw_string():
    """Checks against smtplib itself that the raw string is what it wants."""
    import smtplib

    sent: list[tuple[str, str]] = []

    class Recorder(smtplib.SMTP):
        def docmd(self, cmd, args=""):
            sent.append((cmd, args))
            return 235, b"2.7.0 Accepted"

    client = Recorder()
    client.auth("XOAUTH2", oauth.smtp_xoauth2("tuki@yritys.fi", "tok"))
    assert sent == [("AUTH", "XOAUTH2 " + oauth.xoauth2_base64("tuki@yritys.fi", "tok"))]


# --- the admin flow ---------------------------------------------------------------------


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def start(client, mailbox) -> dict[str, str]:
    response = client.get(reverse("email:oauth-connect", args=[mailbox.pk]))
    assert response.status_code == 302
    return {k: v[0] for k, v in parse_qs(urlsplit(response["Location"]).query).items()}


def test_connect_and_callback_store_tokens(client, admin_user, microsoft, endpoint):
    client.force_login(admin_user)
    params = start(client, microsoft)
    assert params["redirect_uri"] == "http://testserver/email/oauth/callback/"
    endpoint.reply(200, tokens("at-cb", "rt-cb"))
    response = client.get(
        reverse("email:oauth-callback"), {"code": "c0de", "state": params["state"]}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:comms_mailbox_change", args=[microsoft.pk])
    assert any("is connected" in m for m in messages_of(response))
    sent = endpoint.requests[0]
    # The verifier sent matches the challenge the browser carried.
    assert oauth.code_challenge(sent["code_verifier"]) == params["code_challenge"]
    assert sent["redirect_uri"] == params["redirect_uri"]
    assert Mailbox.objects.get(pk=microsoft.pk).oauth_refresh_token == "rt-cb"
    # A state is good for one use only.
    again = client.get(reverse("email:oauth-callback"), {"code": "c0de", "state": params["state"]})
    assert again["Location"] == reverse("setup:mailboxes")
    assert len(endpoint.requests) == 1


def test_callback_with_wrong_state_is_rejected(client, admin_user, microsoft, endpoint):
    client.force_login(admin_user)
    start(client, microsoft)
    response = client.get(reverse("email:oauth-callback"), {"code": "c", "state": "forged"})
    assert response["Location"] == reverse("setup:mailboxes")
    assert any("did not match" in m for m in messages_of(response))
    assert endpoint.requests == []
    assert not Mailbox.objects.get(pk=microsoft.pk).oauth_refresh_token


def test_expired_flow_is_rejected(client, admin_user, microsoft, endpoint, monkeypatch):
    client.force_login(admin_user)
    params = start(client, microsoft)
    later = time.time() + oauth_views.FLOW_MAX_AGE_SECONDS + 1
    monkeypatch.setattr(oauth_views.time, "time", lambda: later)
    client.get(reverse("email:oauth-callback"), {"code": "c", "state": params["state"]})
    assert endpoint.requests == []


def test_provider_refusal_is_shown(client, admin_user, google, endpoint):
    client.force_login(admin_user)
    params = start(client, google)
    response = client.get(
        reverse("email:oauth-callback"),
        {
            "error": "access_denied",
            "error_description": "The user denied",
            "state": params["state"],
        },
    )
    assert response["Location"] == reverse("admin:comms_mailbox_change", args=[google.pk])
    assert any("The user denied" in m for m in messages_of(response))
    assert endpoint.requests == []


def test_failed_exchange_is_shown(client, admin_user, microsoft, endpoint):
    client.force_login(admin_user)
    params = start(client, microsoft)
    endpoint.reply(400, {"error": "invalid_grant", "error_description": "AADSTS54005: used"})
    response = client.get(reverse("email:oauth-callback"), {"code": "c", "state": params["state"]})
    assert any("failed" in m and "AADSTS54005" in m for m in messages_of(response))


def test_connect_needs_an_oauth_mailbox(client, admin_user, microsoft):
    client.force_login(admin_user)
    Mailbox.objects.filter(pk=microsoft.pk).update(auth_method=AuthMethod.PASSWORD)
    response = client.get(reverse("email:oauth-connect", args=[microsoft.pk]))
    assert response["Location"] == reverse("admin:comms_mailbox_change", args=[microsoft.pk])
    assert any("Cannot connect" in m for m in messages_of(response))


def test_agents_cannot_connect_or_call_back(client, make_user, microsoft, endpoint):
    """A plain refusal, not the Django admin's login page."""
    client.force_login(make_user())
    response = client.get(reverse("email:oauth-connect", args=[microsoft.pk]))
    assert response.status_code == 403
    response = client.get(reverse("email:oauth-callback"), {"code": "c", "state": "s"})
    assert response.status_code == 403
    assert endpoint.requests == []


def test_admin_page_offers_the_connect_button(client, admin_user, microsoft):
    # The Django admin is for superusers only (ordinary admins use Settings).
    admin_user.is_superuser = True
    admin_user.save(update_fields=["is_superuser"])
    client.force_login(admin_user)
    response = client.get(reverse("admin:comms_mailbox_change", args=[microsoft.pk]))
    assert response.status_code == 200
    assert reverse("email:oauth-connect", args=[microsoft.pk]).encode() in response.content
    assert reverse("email:inbound", args=["postmark", microsoft.pk]).encode() in response.content


@pytest.fixture
def admin_user(admin_user):
    """These tests read the admin's flash messages in English."""
    admin_user.language = "en"
    admin_user.save(update_fields=["language"])
    return admin_user


def test_connecting_and_reconnecting_are_in_the_settings_change_log(
    client, admin_user, microsoft, endpoint
):
    """Who connected the mailbox, and that the second sign-in was a reconnection."""
    from tiski.setup.models import SettingChange

    client.force_login(admin_user)
    for refresh in ("rt-1", "rt-2"):
        params = start(client, microsoft)
        endpoint.reply(200, tokens("at", refresh))
        client.get(reverse("email:oauth-callback"), {"code": "c0de", "state": params["state"]})
    rows = list(SettingChange.objects.filter(section="mailboxes").order_by("id"))
    assert [(r.action, r.object_label, r.actor) for r in rows] == [
        ("connected", "asiakaspalvelu@yritys.fi", admin_user),
        ("reconnected", "asiakaspalvelu@yritys.fi", admin_user),
    ]


def test_a_refused_sign_in_is_not_logged(client, admin_user, google, endpoint):
    from tiski.setup.models import SettingChange

    client.force_login(admin_user)
    params = start(client, google)
    client.get(reverse("email:oauth-callback"), {"state": params["state"], "error": "denied"})
    assert not SettingChange.objects.exists()


def test_a_lost_flow_goes_back_to_settings_mailboxes_with_a_message(
    client, admin_user, microsoft, endpoint
):
    """Never to the Django admin: the list of mailboxes in Settings, saying what to do."""
    client.force_login(admin_user)
    response = client.get(reverse("email:oauth-callback"), {"code": "c", "state": "lost"})
    assert response["Location"] == reverse("setup:mailboxes")
    page = client.get(response["Location"]).content.decode()
    assert "The sign-in could not be finished" in page
    assert "sign in again" in page


def test_a_callback_after_the_session_ended_asks_for_the_desk_login(client, db):
    response = client.get(reverse("email:oauth-callback"), {"code": "c", "state": "s"})
    assert response["Location"].startswith(reverse("desk:login"))
