"""``Idempotency-Key`` on POST: the same key and request get the same response for 24 hours.

A client that lost the answer to "create this ticket" can send the request
again without making a second ticket. The first response is stored per
token and key; the same key with a different request is refused, since
replaying an answer to another question would hide the client's bug.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from .errors import error_response
from .models import ApiToken, IdempotentResponse

KEEP_FOR = timedelta(hours=24)
REPLAYED_HEADERS = ("Location", "ETag")


def request_fingerprint(request: HttpRequest) -> str:
    digest = hashlib.sha256(f"{request.method} {request.get_full_path()}\n".encode())
    if request.content_type == "multipart/form-data":
        # The parsed form, not the raw body: an upload may be larger than
        # Django lets a view read as one bytes object.
        for key in sorted(request.POST):
            digest.update(f"{key}={request.POST.getlist(key)}\n".encode())
        for key in sorted(request.FILES):
            for f in request.FILES.getlist(key):
                digest.update(f"{key}:{f.name}:{f.size}\n".encode())
    else:
        digest.update(request.body)
    return digest.hexdigest()


def replay_or_run(
    request: HttpRequest,
    token: ApiToken,
    key: str,
    get_response: Callable[[HttpRequest], HttpResponse],
    refuse: Callable[[int, str, str], HttpResponse] = error_response,
) -> HttpResponse:
    """The stored answer to this key, or the request run and its answer stored.

    ``refuse`` makes the refusals in the caller's API's error shape.
    """
    if len(key) > 255:
        return refuse(
            400, "invalid_idempotency_key", _("The Idempotency-Key is longer than 255 characters.")
        )
    fingerprint = request_fingerprint(request)
    since = timezone.now() - KEEP_FOR
    stored = IdempotentResponse.objects.filter(token=token, key=key, created_at__gt=since).first()
    if stored is not None:
        if stored.request_hash != fingerprint:
            return refuse(
                422,
                "idempotency_key_reused",
                _("This Idempotency-Key was already used with a different request."),
            )
        response = HttpResponse(
            bytes(stored.body), status=stored.status_code, content_type=stored.content_type
        )
        for name, value in stored.headers.items():
            response[name] = value
        response["Idempotent-Replayed"] = "true"
        return response
    response = get_response(request)
    # Server errors are not stored: the client should be able to try again.
    if response.status_code < 500 and not getattr(response, "streaming", False):
        IdempotentResponse.objects.filter(token=token, key=key, created_at__lte=since).delete()
        try:
            with transaction.atomic():
                IdempotentResponse.objects.create(
                    token=token,
                    key=key,
                    request_hash=fingerprint,
                    status_code=response.status_code,
                    content_type=response.get("Content-Type", "application/json"),
                    body=response.content,
                    headers={h: response[h] for h in REPLAYED_HEADERS if h in response},
                )
        except IntegrityError:
            pass  # a concurrent request with the same key stored its answer first
    return response


def forget_expired() -> int:
    deleted, _rows = IdempotentResponse.objects.filter(
        created_at__lte=timezone.now() - KEEP_FOR
    ).delete()
    return deleted
