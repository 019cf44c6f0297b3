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
from ninja.security.base import SecuritySchema

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


class OAuthClientCredentials(BearerToken):
    """OAuth2 client credentials, so the OpenAPI document names the flow.

    The tokens it gives are bearer tokens that `BearerToken` (listed before
    this) already accepts; this class only describes how to get one.
    """

    def __init__(self) -> None:
        super().__init__()
        self.openapi_security_schema = SecuritySchema(
            "oauth2",
            description=(
                "For server integrations registered under Settings → API clients: POST "
                "grant_type=client_credentials with the client id and secret (HTTP Basic, or "
                "client_id and client_secret in the form) to /api/oauth/token, then send the "
                "access_token as a bearer token until it expires (expires_in seconds)."
            ),
            flows={
                "clientCredentials": {
                    "tokenUrl": "/api/oauth/token",
                    "scopes": {
                        Scope.READ.value: "Read what the client's user may see.",
                        Scope.WRITE.value: "Read, and change tickets and messages.",
                        Scope.ADMIN.value: "Everything, when the client acts as an admin.",
                    },
                }
            },
        )

    def authenticate(self, request: HttpRequest, token: str):  # type: ignore[override]
        return None


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
