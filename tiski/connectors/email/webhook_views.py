"""Inbound ESP webhooks: ``/email/inbound/<provider>/<mailbox_id>/``.

What the provider hears back:

- 403: the signature or basic auth does not prove the provider sent it
  for this mailbox. Nothing is stored.
- 200: the message is in a committed receipt (or was already: a repeated
  delivery stores nothing new). Processing happens later, in a task.
- 200 too for a correctly signed payload that is not an email we can read:
  it is stored whole as a quarantined receipt for an admin to look at. An
  error status would only make the provider retry the same payload for
  days, and the payload would still not be readable.
- 503: Amazon could not be reached to check a signature or confirm a
  subscription; SNS retries.
- 413: larger than the mailbox's limit allows even as encoded JSON.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseForbidden,
)
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from tiski.connectors.models import Mailbox
from tiski.core import secrets

from . import webhooks
from .intake import accept

log = logging.getLogger(__name__)

REASON_UNKNOWN_PAYLOAD = "Webhook payload from %(provider)s is not an email Tiski can read: %(why)s"


class _TooLarge(Exception):
    pass


def _body(request: HttpRequest, mailbox: Mailbox) -> bytes:
    # Read the stream ourselves: request.body stops at DATA_UPLOAD_MAX_MEMORY_SIZE
    # (2.5 MB), far below a mailbox's message limit. JSON and base64 make a
    # message up to about 4/3 larger than its raw size.
    limit = mailbox.max_raw_bytes * 4 // 3 + 1024 * 1024
    data = request.read(limit + 1)
    if len(data) > limit:
        raise _TooLarge
    return data


def _form_dump(request: HttpRequest) -> bytes:
    """A form post as JSON, for quarantine (the body itself is consumed by parsing)."""
    return json.dumps(
        {
            "fields": {key: request.POST.getlist(key) for key in request.POST},
            "files": {
                key: [{"name": f.name, "size": f.size, "type": f.content_type} for f in files]
                for key, files in request.FILES.lists()
            },
        },
        ensure_ascii=False,
        indent=1,
    ).encode()


# Each handler verifies, then extracts. It returns what to accept, or raises
# webhooks.Rejected (403) or _Unknown (quarantine the given payload).


class _Unknown(Exception):
    def __init__(self, why: str, payload: bytes) -> None:
        super().__init__(why)
        self.why, self.payload = why, payload


def _mailgun(request: HttpRequest, mailbox: Mailbox, secret: str) -> webhooks.Extracted | None:
    webhooks.verify_mailgun(request.POST, secret)
    try:
        return webhooks.extract_mailgun(request.POST, request.FILES)
    except webhooks.UnknownPayload as exc:
        raise _Unknown(str(exc), _form_dump(request)) from exc


def _sendgrid(request: HttpRequest, mailbox: Mailbox, secret: str) -> webhooks.Extracted | None:
    webhooks.check_basic_auth(request.META.get("HTTP_AUTHORIZATION"), secret)
    try:
        return webhooks.extract_sendgrid(request.POST, request.FILES)
    except webhooks.UnknownPayload as exc:
        raise _Unknown(str(exc), _form_dump(request)) from exc


def _postmark(request: HttpRequest, mailbox: Mailbox, secret: str) -> webhooks.Extracted | None:
    webhooks.check_basic_auth(request.META.get("HTTP_AUTHORIZATION"), secret)
    body = _body(request, mailbox)
    try:
        return webhooks.extract_postmark(body)
    except webhooks.UnknownPayload as exc:
        raise _Unknown(str(exc), body) from exc


def _amazon_ses(request: HttpRequest, mailbox: Mailbox, secret: str) -> webhooks.Extracted | None:
    # Basic auth first: an SNS signature only proves the message came through
    # SNS, from anyone's topic.
    webhooks.check_basic_auth(request.META.get("HTTP_AUTHORIZATION"), secret)
    body = _body(request, mailbox)
    envelope = webhooks.parse_sns(body)
    webhooks.verify_sns(envelope)
    confirmation = webhooks.sns_confirmation(envelope)
    if confirmation is not None:
        webhooks.confirm_sns_subscription(confirmation)
        log.info("Amazon SNS %s for mailbox %s handled", envelope["Type"], mailbox.pk)
        return None
    try:
        return webhooks.extract_ses(envelope)
    except webhooks.UnknownPayload as exc:
        raise _Unknown(str(exc), body) from exc


HANDLERS: dict[str, Callable[[HttpRequest, Mailbox, str], webhooks.Extracted | None]] = {
    "mailgun": _mailgun,
    "postmark": _postmark,
    "sendgrid": _sendgrid,
    "amazon_ses": _amazon_ses,
}


@csrf_exempt
@require_POST
@transaction.non_atomic_requests
def inbound(request: HttpRequest, provider: str, mailbox_id: int) -> HttpResponse:
    handler = HANDLERS.get(provider)
    mailbox = Mailbox.objects.filter(pk=mailbox_id).first()
    if handler is None or mailbox is None:
        raise Http404
    try:
        secret = secrets.resolve(mailbox.webhook_secret)
    except ImproperlyConfigured:
        log.exception("Webhook secret of mailbox %s cannot be read", mailbox.pk)
        return HttpResponseForbidden()
    source = f"webhook:{provider}"
    try:
        extracted = handler(request, mailbox, secret)
    except webhooks.Rejected as exc:
        log.warning("Rejected %s webhook for mailbox %s: %s", provider, mailbox.pk, exc)
        return HttpResponseForbidden()
    except webhooks.Unavailable as exc:
        log.warning("%s webhook for mailbox %s: %s", provider, mailbox.pk, exc)
        return HttpResponse(status=503)
    except _TooLarge:
        log.warning("Too large %s webhook for mailbox %s", provider, mailbox.pk)
        return HttpResponse(status=413)
    except _Unknown as exc:
        _quarantine(source, mailbox, exc.payload, REASON_UNKNOWN_PAYLOAD, provider, exc.why)
        return HttpResponse("stored in quarantine", content_type="text/plain")
    if extracted is not None:
        # The outermost atomic block: leaving it commits, so the 200 below is
        # only sent for a receipt that is on disk and in the database.
        with transaction.atomic():
            accept(
                source=source,
                key=f"{mailbox.pk}:{extracted.key}",
                raw=extracted.raw,
                mailbox=mailbox,
            )
    return HttpResponse("ok", content_type="text/plain")


def _quarantine(
    source: str, mailbox: Mailbox, payload: bytes, reason: str, provider: str, why: str
) -> None:
    log.warning("Quarantined %s webhook payload for mailbox %s: %s", provider, mailbox.pk, why)
    with transaction.atomic():
        accept(
            source=source,
            key=f"{mailbox.pk}:{webhooks.sha256_key(payload)}",
            raw=payload,
            mailbox=mailbox,
            quarantine=reason % {"provider": provider, "why": why},
        )
