"""Personal API tokens: made once, shown once, stored as a hash."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import ApiToken, Scope

if TYPE_CHECKING:
    from tiski.accounts.models import User

TOKEN_PREFIX = "tsk_"
# last_used_at is written at most this often, so busy tokens cost no write per request.
LAST_USED_GRANULARITY = timedelta(minutes=1)


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_token(
    user: User, *, name: str, scope: str, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """A new token and its only readable copy, for the one page that shows it."""
    if scope == Scope.ADMIN and not user.is_admin:
        raise PermissionDenied(_("Only admins can make tokens with the admin scope."))
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name.strip()[:100],
        prefix=raw[: len(TOKEN_PREFIX) + 6],
        token_hash=_hash(raw),
        scope=scope,
        expires_at=expires_at,
    )
    return token, raw


def authenticate(raw: str) -> ApiToken | None:
    """The usable token with this text, or None (unknown, revoked, expired, inactive user)."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    token = ApiToken.objects.usable().select_related("user").filter(token_hash=_hash(raw)).first()
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_GRANULARITY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def revoke(token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
