"""Who an API request acts as: its bearer token's user, or the signed-in session.

The middleware has already checked the token (and answered 401 for a bad
one); these classes tell Ninja, and so the OpenAPI document, how a request
authenticates, and hold the scope rule: reading needs ``read``, anything
else ``write``.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.security import HttpBearer, SessionAuth

from .errors import ApiError
from .models import Scope

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def needed_scope(request: HttpRequest) -> str:
    return Scope.READ if request.method in SAFE_METHODS else Scope.WRITE


class BearerToken(HttpBearer):
    """``Authorization: Bearer tsk_...``: a personal API token (Settings → API tokens)."""

    def authenticate(self, request: HttpRequest, token: str):  # type: ignore[override]
        api_token = getattr(request, "api_token", None)
        if api_token is None:
            return None
        scope = needed_scope(request)
        if not api_token.allows(scope):
            raise ApiError(
                403,
                "insufficient_scope",
                _("This token's scope does not allow this request (it needs %(scope)s).")
                % {"scope": scope},
            )
        return api_token.user


class DeskSession(SessionAuth):
    """The desk's own sign-in, so the reference page can try requests (with the CSRF token)."""

    def authenticate(self, request: HttpRequest, key: str | None):  # type: ignore[override]
        user = super().authenticate(request, key)
        if user is None or not user.is_active:
            return None
        return user


def require_admin(request: HttpRequest) -> None:
    """Admin-only endpoints: the user must be an admin and a token must have the admin scope."""
    token = getattr(request, "api_token", None)
    if not request.user.is_admin or (token is not None and not token.allows(Scope.ADMIN)):
        raise ApiError(403, "forbidden", _("Only admins, with an admin-scoped token, may do this."))
