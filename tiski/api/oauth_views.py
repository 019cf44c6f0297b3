"""``POST /api/oauth/token``: the client credentials grant (RFC 6749 §4.4, §5).

Answers and errors have the shapes RFC 6749 §5.1 and §5.2 give, not the
v1 API's ``{"code", "message"}``: OAuth client libraries read them. The
``error_description`` texts stay English because §5.2 allows only ASCII.
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import unquote_plus

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import oauth

GRANT_TYPE = "client_credentials"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _answer(body: dict, status: int = 200, headers: dict[str, str] | None = None) -> JsonResponse:
    response = JsonResponse(body, status=status)
    for name, value in {**NO_STORE, **(headers or {})}.items():
        response[name] = value
    return response


def _error(code: str, description: str, status: int = 400) -> JsonResponse:
    headers = {}
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="tiski", charset="UTF-8"'
    return _answer({"error": code, "error_description": description}, status, headers)


def _basic(header: str) -> tuple[str, str] | None:
    """Client id and secret from ``Authorization: Basic``, form-decoded (§2.3.1)."""
    scheme, _sep, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        return None
    return unquote_plus(client_id), unquote_plus(secret)


@csrf_exempt
@require_POST
def token(request: HttpRequest) -> JsonResponse:
    header = request.headers.get("Authorization", "")
    form_id, form_secret = request.POST.get("client_id", ""), request.POST.get("client_secret", "")
    if header:
        credentials = _basic(header)
        if credentials is None:
            return _error("invalid_client", "Only HTTP Basic client authentication is used.", 401)
        if form_secret:
            # §2.3.1: a client MUST NOT use more than one method in a request.
            return _error("invalid_request", "Authenticate the client one way, not two.")
    elif form_id and form_secret:
        credentials = (form_id, form_secret)
    else:
        return _error("invalid_client", "Client authentication is missing.", 401)
    client = oauth.authenticate_client(*credentials)
    if client is None:
        return _error("invalid_client", "Unknown client, wrong secret or revoked client.", 401)
    grant_type = request.POST.get("grant_type", "")
    if not grant_type:
        return _error("invalid_request", "grant_type is missing.")
    if grant_type != GRANT_TYPE:
        return _error("unsupported_grant_type", "Only client_credentials is supported.")
    if not client.user.is_active:
        return _error("invalid_grant", "The user this client acts as is deactivated.")
    try:
        scope = oauth.granted_scope(client, request.POST.get("scope", ""))
    except oauth.ScopeError:
        return _error("invalid_scope", "The scope is unknown or wider than the client's.")
    issued = oauth.issue_token(client, scope)
    return _answer(
        {
            "access_token": issued.raw,
            "token_type": "Bearer",
            "expires_in": issued.expires_in,
            "scope": scope,
        }
    )
