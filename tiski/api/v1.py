"""The `/api/v1/` NinjaAPI: routers, authentication and the one error shape."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from .auth import BearerToken, DeskSession, OAuthClientCredentials
from .endpoints import customers, directory, jobs, macros, messages, side_conversations, tickets
from .errors import ApiError, error_response, from_api_error

DESCRIPTION = """\
The REST API of Tiski. Every request acts as one desk user: it sees exactly
the tickets that user sees, and changes them through the same actions as
the desk. Authenticate with a personal API token
(`Authorization: Bearer tsk_...`, made in the desk under Settings → API
tokens) or, from a browser, with the desk's own sign-in. Server
integrations use OAuth2 client credentials: an admin registers the client
under Settings → API clients, and the client trades its id and secret at
`POST /api/oauth/token` (`grant_type=client_credentials`, HTTP Basic) for a
bearer token that works for an hour.

Errors are JSON: `{"code": "...", "message": "...", "fields": {"field": ["..."]}}`.
Lists are cursor pages: `{"data": [...], "next_cursor": "..."}`; pass
`cursor=` for the next page. Every answer carries `X-RateLimit-Limit`,
`X-RateLimit-Remaining` and `X-RateLimit-Reset`; beyond the limit the answer
is 429 with `Retry-After`. A POST with an `Idempotency-Key` header gets the
same answer when repeated within 24 hours. Ticket reads carry an `ETag`;
send it as `If-Match` on a PATCH to change only the version you read (412
otherwise).
"""

api = NinjaAPI(
    title="Tiski API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    docs_url=None,  # the reference page is ours: no assets from a CDN
    openapi_url="/schema/",
    auth=[BearerToken(), OAuthClientCredentials(), DeskSession()],
)

for module in (tickets, jobs, messages, side_conversations, customers, directory, macros):
    api.add_router("/", module.router)


@api.exception_handler(ApiError)
def _api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    return from_api_error(exc)


@api.exception_handler(NinjaValidationError)
def _invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    fields: dict[str, list[str]] = {}
    for problem in exc.errors:
        # loc is ("body", "payload", "subject") or ("query", "limit"): the last part names it.
        loc = [
            str(p) for p in problem.get("loc", ()) if p not in ("body", "payload", "query", "path")
        ]
        fields.setdefault(".".join(loc) or "body", []).append(problem.get("msg", ""))
    return error_response(422, "invalid", _("The request has invalid fields."), fields)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(
        401,
        "unauthorized",
        _("Authentication is needed: a bearer token or a signed-in session."),
        headers={"WWW-Authenticate": 'Bearer realm="tiski"'},
    )


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(404, "not_found", str(exc) or _("Not found."))


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return error_response(403, "forbidden", str(exc) or _("Not allowed."))


@api.exception_handler(ValidationError)
def _refused(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields = {}
    if hasattr(exc, "error_dict"):
        fields = {k: [str(m) for e in v for m in e.messages] for k, v in exc.error_dict.items()}
    return error_response(422, "invalid", " ".join(exc.messages), fields)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return error_response(exc.status_code, "error", str(exc))
