"""OAuth2 for Microsoft 365 and Google Workspace mailboxes (IMAP and SMTP XOAUTH2).

Companies on Microsoft 365 can no longer sign in to IMAP or SMTP with a
password; an admin connects the mailbox once (authorization code flow with
PKCE, ``oauth_views.py``) and Tiski keeps a refresh token, encrypted at
rest, from which the IMAP poller and the SMTP sender get short-lived access
tokens through ``access_token(mailbox)``.

Every call to a token endpoint goes through ``_post_form``; tests replace it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import secrets as pysecrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from tiski.connectors import transport
from tiski.connectors.models import AuthMethod, Mailbox
from tiski.connectors.transport import TransportError
from tiski.core import secrets

log = logging.getLogger(__name__)

HTTP_TIMEOUT_SECONDS = 20
# Refresh this long before the expiry: an IMAP session or an SMTP send that
# starts with a token about to lapse would fail half-way.
REFRESH_MARGIN = timedelta(minutes=5)

MICROSOFT_SCOPES = (
    "offline_access https://outlook.office.com/IMAP.AccessAsUser.All "
    "https://outlook.office.com/SMTP.Send"
)
GOOGLE_SCOPES = "https://mail.google.com/"
GOOGLE_AUTHORIZE_URL = "https://accounts.google.com/o/oauth2/v2/auth"
GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token"

# Token endpoint errors that no retry will cure: the admin must reconnect
# the mailbox or fix the app registration (RFC 6749 section 5.2).
PERMANENT_ERRORS = frozenset(
    {
        "invalid_grant",
        "invalid_client",
        "unauthorized_client",
        "invalid_scope",
        "unsupported_grant_type",
        "invalid_request",
        "interaction_required",
        "consent_required",
        "access_denied",
    }
)


class OAuthError(TransportError):
    """A token could not be had. ``permanent``: the admin must reconnect or fix settings."""

    def __init__(self, message: str, permanent: bool) -> None:
        super().__init__(message, permanent=permanent)
        self.message = message
        self.permanent = permanent


@dataclass(frozen=True)
class Provider:
    authorize_url: str
    token_url: str
    scopes: str
    extra_authorize_params: tuple[tuple[str, str], ...] = ()


def provider_for(mailbox: Mailbox) -> Provider:
    if mailbox.auth_method == AuthMethod.MICROSOFT:
        # quote(): a tenant is a GUID or a domain, never a path.
        tenant = quote(mailbox.oauth_tenant or "common", safe="")
        base = f"https://login.microsoftonline.com/{tenant}"
        return Provider(
            authorize_url=f"{base}/oauth2/v2.0/authorize",
            token_url=f"{base}/oauth2/v2.0/token",
            scopes=MICROSOFT_SCOPES,
            extra_authorize_params=(("response_mode", "query"),),
        )
    if mailbox.auth_method == AuthMethod.GOOGLE:
        return Provider(
            authorize_url=GOOGLE_AUTHORIZE_URL,
            token_url=GOOGLE_TOKEN_URL,
            scopes=GOOGLE_SCOPES,
            # Without both, Google issues a refresh token only on the first consent.
            extra_authorize_params=(("access_type", "offline"), ("prompt", "consent")),
        )
    raise OAuthError(f"Mailbox {mailbox.address} does not sign in with OAuth2.", permanent=True)


# --- the one network call ----------------------------------------------------------


def _post_form(url: str, data: dict[str, str]) -> dict[str, Any]:
    """POST a form to a token endpoint and return its JSON, error answers included.

    Token endpoints answer errors as JSON with status 400/401; those are
    returned for the caller to classify. A network failure or an answer
    that is not JSON is a temporary OAuthError.
    """
    try:
        response = transport.request(
            "POST",
            url,
            form=data,
            headers={"Accept": "application/json"},
            timeout=HTTP_TIMEOUT_SECONDS,
            check=False,
        )
    except TransportError as exc:
        raise OAuthError(f"Token endpoint unreachable: {exc}", permanent=False) from exc
    if response.status >= 500:
        raise OAuthError(f"Token endpoint answered {response.status}.", permanent=False)
    body = response.body
    try:
        answer = json.loads(body)
    except ValueError as exc:
        raise OAuthError("Token endpoint answered something other than JSON.", False) from exc
    if not isinstance(answer, dict):
        raise OAuthError("Token endpoint answered something other than JSON.", False)
    return answer


# --- authorization -----------------------------------------------------------------


def new_state() -> str:
    return pysecrets.token_urlsafe(32)


def new_code_verifier() -> str:
    # RFC 7636: 43-128 characters from the unreserved set; 64 random bytes
    # give 86 characters of base64url.
    return pysecrets.token_urlsafe(64)


def code_challenge(code_verifier: str) -> str:
    digest = hashlib.sha256(code_verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorization_url(mailbox: Mailbox, redirect_uri: str, state: str, code_verifier: str) -> str:
    """Where to send the admin's browser to grant Tiski access to the mailbox."""
    provider = provider_for(mailbox)
    if not mailbox.oauth_client_id:
        raise OAuthError("The mailbox has no OAuth client id.", permanent=True)
    params = [
        ("client_id", mailbox.oauth_client_id),
        ("response_type", "code"),
        ("redirect_uri", redirect_uri),
        ("scope", provider.scopes),
        ("state", state),
        ("code_challenge", code_challenge(code_verifier)),
        ("code_challenge_method", "S256"),
        # Preselects the right account when the admin is signed in to several.
        ("login_hint", mailbox.address),
        *provider.extra_authorize_params,
    ]
    return f"{provider.authorize_url}?{urlencode(params)}"


def _client_credentials(mailbox: Mailbox) -> dict[str, str]:
    data = {"client_id": mailbox.oauth_client_id}
    try:
        client_secret = secrets.resolve(mailbox.oauth_client_secret)
    except ImproperlyConfigured as exc:
        raise OAuthError(str(exc), permanent=True) from exc
    if client_secret:  # a public client (PKCE only) has none
        data["client_secret"] = client_secret
    return data


def _token_request(mailbox: Mailbox, data: dict[str, str]) -> dict[str, Any]:
    provider = provider_for(mailbox)
    answer = _post_form(provider.token_url, {**_client_credentials(mailbox), **data})
    if "error" in answer:
        code = str(answer.get("error"))
        description = str(answer.get("error_description") or "").splitlines()[:1]
        message = f"{code}: {description[0]}" if description else code
        raise OAuthError(message, permanent=code in PERMANENT_ERRORS)
    if not answer.get("access_token"):
        raise OAuthError("The token endpoint gave no access token.", permanent=False)
    return answer


def _store(mailbox: Mailbox, answer: dict[str, Any], now: datetime) -> None:
    mailbox.oauth_access_token = str(answer["access_token"])
    # Microsoft sends a new refresh token with each refresh and the old one
    # stops working some time later; Google usually sends none: keep the old.
    if answer.get("refresh_token"):
        mailbox.oauth_refresh_token = str(answer["refresh_token"])
    try:
        lifetime = int(answer.get("expires_in") or 3600)
    except (TypeError, ValueError):
        lifetime = 3600
    mailbox.oauth_expires_at = now + timedelta(seconds=lifetime)
    mailbox.save(update_fields=["oauth_access_token", "oauth_refresh_token", "oauth_expires_at"])


def exchange_code(mailbox: Mailbox, code: str, redirect_uri: str, code_verifier: str) -> None:
    """Trade the authorization code for tokens and store them (encrypted)."""
    provider = provider_for(mailbox)
    now = timezone.now()
    answer = _token_request(
        mailbox,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": code_verifier,
            "scope": provider.scopes,
        },
    )
    if not answer.get("refresh_token"):
        # Without one, Tiski would stop working an hour from now.
        raise OAuthError(
            "The provider gave no refresh token; check that offline access is allowed.",
            permanent=True,
        )
    with transaction.atomic():
        _store(mailbox, answer, now)


# --- using the tokens --------------------------------------------------------------


def _fresh(mailbox: Mailbox, now: datetime) -> bool:
    return bool(
        mailbox.oauth_access_token
        and mailbox.oauth_expires_at is not None
        and mailbox.oauth_expires_at - REFRESH_MARGIN > now
    )


def access_token(mailbox: Mailbox) -> str:
    """A valid access token for the mailbox, refreshed when it lapses within 5 minutes.

    The refresh happens under a row lock (and in SQLite's immediate
    transaction), so two workers never both spend the refresh token:
    Microsoft rotates refresh tokens, and the loser of such a race would
    store a token the provider has already replaced. The second worker
    waits and then finds the token the first one stored.
    """
    now = timezone.now()
    if _fresh(mailbox, now):
        return mailbox.oauth_access_token
    with transaction.atomic():
        locked = Mailbox.objects.select_for_update().get(pk=mailbox.pk)
        now = timezone.now()
        if not _fresh(locked, now):
            if not locked.oauth_refresh_token:
                raise OAuthError(
                    f"Mailbox {locked.address} is not connected; an admin must connect it.",
                    permanent=True,
                )
            provider = provider_for(locked)
            answer = _token_request(
                locked,
                {
                    "grant_type": "refresh_token",
                    "refresh_token": locked.oauth_refresh_token,
                    "scope": provider.scopes,
                },
            )
            _store(locked, answer, now)
            log.info("Refreshed the OAuth2 access token of mailbox %s", locked.pk)
    mailbox.oauth_access_token = locked.oauth_access_token
    mailbox.oauth_refresh_token = locked.oauth_refresh_token
    mailbox.oauth_expires_at = locked.oauth_expires_at
    return locked.oauth_access_token


def xoauth2_string(user: str, token: str) -> str:
    """The SASL XOAUTH2 initial client response, *not* base64-encoded.

    Both standard clients encode it themselves: ``smtplib.SMTP.auth`` and
    ``imaplib.IMAP4.authenticate`` base64-encode whatever the callback
    returns. ``IMAPClient.oauth2_login(user, token)`` builds this string
    itself from the token. Use ``xoauth2_base64`` only when writing the
    AUTH command by hand.
    """
    return f"user={user}\x01auth=Bearer {token}\x01\x01"


def xoauth2_base64(user: str, token: str) -> str:
    return base64.b64encode(xoauth2_string(user, token).encode()).decode("ascii")


def smtp_xoauth2(user: str, token: str) -> Callable[..., str]:
    """An ``authobject`` for ``smtp.auth("XOAUTH2", smtp_xoauth2(user, token))``.

    On failure the server sends a 334 challenge (a base64 JSON error) and
    waits for an empty line before the final 535; answering the challenge
    with the string again would hang the exchange.
    """

    def authobject(challenge: bytes | None = None) -> str:
        return xoauth2_string(user, token) if challenge is None else ""

    return authobject
