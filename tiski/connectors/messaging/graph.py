"""What Meta's Graph API webhooks share (WhatsApp, Messenger, Instagram).

Meta subscribes a webhook with a GET carrying ``hub.mode=subscribe``,
``hub.verify_token`` and ``hub.challenge``: the challenge is echoed back
only when the token is the one the admin typed at Meta. Every POST is
signed with ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw
body under the app secret>``; a missing signature is 401 and a wrong one
403, before anything is parsed or written.
"""

from __future__ import annotations

import hashlib
import hmac
import logging

from django.http import HttpRequest, HttpResponse

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Hub-Signature-256"
MAX_BODY_BYTES = 1024 * 1024


def signature(app_secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def verify_subscription(request: HttpRequest, verify_token: str) -> HttpResponse:
    """The answer to Meta's GET: the challenge, or 403."""
    mode = request.GET.get("hub.mode", "")
    token = request.GET.get("hub.verify_token", "")
    challenge = request.GET.get("hub.challenge", "")
    if mode == "subscribe" and token and hmac.compare_digest(token, verify_token):
        return HttpResponse(challenge, content_type="text/plain")
    return HttpResponse("verification failed", status=403, content_type="text/plain")


def refuse_unsigned(request: HttpRequest, app_secret: str, *, what: str) -> HttpResponse | None:
    """The refusal of a POST that is too big or not signed by Meta; None when it may pass."""
    if len(request.body) > MAX_BODY_BYTES:
        return HttpResponse(status=413)
    given = request.headers.get(SIGNATURE_HEADER, "")
    if not given:
        return HttpResponse("signature missing", status=401, content_type="text/plain")
    expected = signature(app_secret, request.body)
    if not hmac.compare_digest(given.strip().encode(), expected.encode()):
        log.warning("Badly signed webhook for %s", what)
        return HttpResponse("bad signature", status=403, content_type="text/plain")
    return None
