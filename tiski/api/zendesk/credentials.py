"""The token in an ``Authorization`` header, as Zendesk clients send it.

Zendesk clients authenticate with HTTP Basic, ``{email}/token`` as the user
name and the API token as the password, or with ``Bearer``. Tiski's personal
API tokens take the token's place. Basic with a real password is refused:
Zendesk has switched password access off for its API too, and a password
sent with every request is one more place for it to leak.
"""

from __future__ import annotations

import base64
import binascii

from .. import tokens
from ..models import ApiToken

TOKEN_SUFFIX = "/token"


def authenticate(header: str) -> ApiToken | None:
    """The usable token the header names, or None (refused)."""
    scheme, _sep, value = header.partition(" ")
    scheme, value = scheme.lower(), value.strip()
    if scheme == "bearer":
        return tokens.authenticate(value)
    if scheme != "basic":
        return None
    try:
        decoded = base64.b64decode(value, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    username, _sep, secret = decoded.partition(":")
    if not username.lower().endswith(TOKEN_SUFFIX):
        return None  # email:password
    email = username[: -len(TOKEN_SUFFIX)]
    token = tokens.authenticate(secret)
    # The email must be the token's own user: a token is not a key to anyone else.
    if token is None or token.user.email.lower() != email.strip().lower():
        return None
    return token
