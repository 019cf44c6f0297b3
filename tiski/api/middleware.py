"""What every request under ``/api/`` passes first: its token, its quota, its replay.

Done here rather than in each endpoint so the rate-limit headers are on
every answer, errors included, and an idempotent replay never reaches the
endpoint at all. Other paths pass straight through.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from . import idempotency, limits, tokens
from .errors import error_response

API_PREFIX = "/api/"
# The OAuth token endpoint authenticates clients itself (HTTP Basic or form).
TOKEN_ENDPOINT = "/api/oauth/token"


class ApiMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(API_PREFIX) or request.path == TOKEN_ENDPOINT:
            return self.get_response(request)
        request.api_token = None  # type: ignore[attr-defined]
        header = request.headers.get("Authorization", "")
        if not header:
            # Session (the browsable reference) or nothing: the endpoints decide.
            return self.get_response(request)
        scheme, _sep, raw = header.partition(" ")
        token = tokens.authenticate(raw.strip()) if scheme.lower() == "bearer" else None
        if token is None:
            return error_response(
                401,
                "unauthorized",
                _("The API token is missing, unknown, revoked or expired."),
                headers={"WWW-Authenticate": 'Bearer realm="tiski"'},
            )
        request.user = token.user
        request.api_token = token  # type: ignore[attr-defined]
        # A client's tokens share one quota: asking for a new token resets nothing.
        quota = limits.hit(f"client-{token.client_id}" if token.client_id else token.pk)
        if quota.exceeded:
            return error_response(
                429,
                "rate_limited",
                _("Too many requests. Try again after %(seconds)s seconds.")
                % {"seconds": quota.headers()["Retry-After"]},
                headers=quota.headers(),
            )
        key = request.headers.get("Idempotency-Key", "").strip()
        if request.method == "POST" and key:
            response = idempotency.replay_or_run(request, token, key, self.get_response)
        else:
            response = self.get_response(request)
        for name, value in quota.headers().items():
            response[name] = value
        return response
