"""What every request under ``/api/`` passes first: its token, its quota, its replay.

Done here rather than in each endpoint so the rate-limit headers are on
every answer, errors included, and an idempotent replay never reaches the
endpoint at all. Other paths pass straight through. The Zendesk-compatible
``/api/v2/`` reads its credentials as Zendesk clients send them and answers
its refusals in Zendesk's error shape; the quota and the replay are the same.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from . import idempotency, limits, tokens
from .errors import error_response
from .models import ApiToken
from .zendesk import credentials as zendesk_credentials
from .zendesk import errors as zendesk_errors

API_PREFIX = "/api/"
ZENDESK_PREFIX = "/api/v2/"
# The OAuth token endpoint authenticates clients itself (HTTP Basic or form).
TOKEN_ENDPOINT = "/api/oauth/token"


def _bearer(header: str) -> ApiToken | None:
    scheme, _sep, raw = header.partition(" ")
    return tokens.authenticate(raw.strip()) if scheme.lower() == "bearer" else None


def _unauthorized() -> HttpResponse:
    return error_response(
        401,
        "unauthorized",
        _("The API token is missing, unknown, revoked or expired."),
        headers={"WWW-Authenticate": 'Bearer realm="tiski"'},
    )


def _rate_limited(headers: dict[str, str]) -> HttpResponse:
    return error_response(
        429,
        "rate_limited",
        _("Too many requests. Try again after %(seconds)s seconds.")
        % {"seconds": headers["Retry-After"]},
        headers=headers,
    )


def _zendesk_quota_headers(headers: dict[str, str]) -> dict[str, str]:
    # Zenpy's proactive rate limiting reads Zendesk's own header names.
    return {
        **headers,
        "X-Rate-Limit": headers["X-RateLimit-Limit"],
        "X-Rate-Limit-Remaining": headers["X-RateLimit-Remaining"],
    }


@dataclass(frozen=True)
class Dialect:
    """How one API version reads credentials and refuses a request."""

    authenticate: Callable[[str], ApiToken | None]
    unauthorized: Callable[[], HttpResponse]
    rate_limited: Callable[[dict[str, str]], HttpResponse]
    quota_headers: Callable[[dict[str, str]], dict[str, str]]
    refuse: Callable[[int, str, str], HttpResponse]


TISKI = Dialect(_bearer, _unauthorized, _rate_limited, lambda headers: headers, error_response)
ZENDESK = Dialect(
    zendesk_credentials.authenticate,
    zendesk_errors.unauthorized,
    lambda headers: zendesk_errors.rate_limited(_zendesk_quota_headers(headers)),
    _zendesk_quota_headers,
    zendesk_errors.refusal,
)


class ApiMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(API_PREFIX) or request.path == TOKEN_ENDPOINT:
            return self.get_response(request)
        dialect = ZENDESK if request.path.startswith(ZENDESK_PREFIX) else TISKI
        request.api_token = None  # type: ignore[attr-defined]
        header = request.headers.get("Authorization", "")
        if not header:
            # Session (the browsable reference) or nothing: the endpoints decide.
            return self.get_response(request)
        token = dialect.authenticate(header)
        if token is None:
            return dialect.unauthorized()
        request.user = token.user
        request.api_token = token  # type: ignore[attr-defined]
        # A client's tokens share one quota: asking for a new token resets nothing.
        quota = limits.hit(f"client-{token.client_id}" if token.client_id else token.pk)
        if quota.exceeded:
            return dialect.rate_limited(quota.headers())
        key = request.headers.get("Idempotency-Key", "").strip()
        if request.method == "POST" and key:
            response = idempotency.replay_or_run(
                request, token, key, self.get_response, dialect.refuse
            )
        else:
            response = self.get_response(request)
        for name, value in dialect.quota_headers(quota.headers()).items():
            response[name] = value
        return response
