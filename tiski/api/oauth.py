"""OAuth2 client credentials (RFC 6749 §4.4): API clients and the tokens they get.

A client is registered by an admin (Settings → API clients) and acts as one
desk user. It trades its id and secret for a short-lived bearer token: an
`ApiToken` row linked to the client, so the middleware, scopes, rate limits
and idempotency treat it exactly like a personal token. Revoking the client
ends its tokens at once (`ApiToken.objects.usable`).

Written here rather than with django-oauth-toolkit or Authlib: one grant
type on top of the token table we already have is this module and one view,
where a library would bring its own application, token and grant tables.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tiski.accounts.models import Role, User

from .models import SCOPE_RANK, ApiClient, ApiToken, Scope
from .tokens import LAST_USED_GRANULARITY, TOKEN_PREFIX

CLIENT_ID_PREFIX = "tsc_"
SECRET_PREFIX = "tss_"
# Service users get an address that can never receive mail.
SERVICE_DOMAIN = "integrations.invalid"


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def service_user(name: str) -> User:
    """A user of its own for an integration: an agent no one can sign in as.

    Admins give it teams like any agent, so its tickets are what its teams
    see. It is away from the desk for good, so routing never gives it a
    ticket (and there is nothing for the absence hand-over to move).
    """
    label = _("Integration: %(name)s") % {"name": name.strip()}
    now = timezone.now()
    return User.objects.create(
        email=f"integration-{secrets.token_hex(6)}@{SERVICE_DOMAIN}",
        name=label[:150],
        role=Role.AGENT,
        password=make_password(None),
        out_of_office_from=now,
        absence_handled_from=now,
    )


@transaction.atomic
def create_client(
    *, name: str, user: User | None, scope: str, created_by: User | None
) -> tuple[ApiClient, str]:
    """A new client and its secret's only readable copy; no user: a new service user."""
    acting = user or service_user(name)
    if scope == Scope.ADMIN and not acting.is_admin:
        raise PermissionDenied(_("Only a client acting as an admin can have the admin scope."))
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    client = ApiClient.objects.create(
        name=name.strip()[:100],
        client_id=CLIENT_ID_PREFIX + secrets.token_hex(10),
        secret_hash=_hash(secret),
        user=acting,
        scope=scope,
        created_by=created_by,
    )
    return client, secret


def new_secret(client: ApiClient) -> str:
    """Replace the secret; the old one stops working, tokens already given run out."""
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    client.secret_hash = _hash(secret)
    client.save(update_fields=["secret_hash"])
    return secret


def revoke_client(client: ApiClient) -> None:
    if client.revoked_at is None:
        client.revoked_at = timezone.now()
        client.save(update_fields=["revoked_at"])


def authenticate_client(client_id: str, secret: str) -> ApiClient | None:
    """The unrevoked client with this id and secret, or None.

    Its user may be deactivated: the token endpoint says so (invalid_grant)
    rather than pretending the secret was wrong.
    """
    client = (
        ApiClient.objects.filter(revoked_at__isnull=True, client_id=client_id)
        .select_related("user")
        .first()
    )
    # Hash even when the id is unknown, so timing tells nothing about ids.
    given = _hash(secret)
    if client is None or not hmac.compare_digest(given, client.secret_hash):
        return None
    return client


class ScopeError(ValueError):
    """The requested scope is unknown or wider than the client's."""


def granted_scope(client: ApiClient, requested: str) -> str:
    """The scope a token gets: what was asked (space-separated) within the client's.

    Nothing asked: the client's own. Asked for several: the widest, since a
    wider scope includes the narrower ones.
    """
    names = requested.split()
    if not names:
        return client.scope
    if any(name not in SCOPE_RANK for name in names):
        raise ScopeError(requested)
    widest = max(names, key=lambda name: SCOPE_RANK[Scope(name)])
    if SCOPE_RANK[Scope(widest)] > SCOPE_RANK[Scope(client.scope)]:
        raise ScopeError(requested)
    return widest


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    raw: str
    expires_in: int


def issue_token(client: ApiClient, scope: str) -> IssuedToken:
    lifetime = int(settings.TISKI_OAUTH_TOKEN_SECONDS)
    now = timezone.now()
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=client.user,
        client=client,
        name=client.name,
        prefix=raw[: len(TOKEN_PREFIX) + 6],
        token_hash=_hash(raw),
        scope=scope,
        expires_at=now + timedelta(seconds=lifetime),
        created_at=now,
    )
    if client.last_used_at is None or now - client.last_used_at > LAST_USED_GRANULARITY:
        ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
    return IssuedToken(token=token, raw=raw, expires_in=lifetime)


def forget_expired(before: timedelta = timedelta(days=1)) -> int:
    """Delete client tokens that ran out a while ago (they pile up, one per hour per client)."""
    deleted, _rows = ApiToken.objects.filter(
        client__isnull=False, expires_at__lt=timezone.now() - before
    ).delete()
    return deleted
