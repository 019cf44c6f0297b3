"""The SMS webhooks: inbound messages and delivery receipts, one URL pair per number.

Unsigned requests get 401 and badly signed ones 403, and neither writes
anything. A signed but malformed message is kept in quarantine and gets
400. A good one is stored as a receipt and committed before the 200, so
the provider retries anything not durable, and its retry of a stored one
stores nothing new.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from tiski.connectors.messaging import outbox
from tiski.connectors.messaging.inbound import Malformed
from tiski.connectors.receipts import accept, refuse_malformed
from tiski.tickets.models import Channel

from . import providers
from .inbound import source_for
from .models import Provider, SmsAccount

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 256 * 1024
REASON_MALFORMED = "Malformed SMS webhook: %(why)s"


def _account(account_id: int) -> SmsAccount:
    account = SmsAccount.objects.filter(pk=account_id, active=True).first()
    if account is None:
        raise Http404
    return account


def _verified(request: HttpRequest, account: SmsAccount) -> HttpResponse | None:
    """None when the request is the provider's own; else the refusal to answer."""
    if len(request.body) > MAX_BODY_BYTES:
        return HttpResponse(status=413)
    try:
        providers.verify(
            account,
            url=request.build_absolute_uri(),
            body=request.body,
            headers=dict(request.headers),
        )
    except providers.Unsigned:
        return HttpResponse("signature missing", status=401, content_type="text/plain")
    except providers.BadSignature:
        log.warning("Badly signed SMS webhook for account %s", account.pk)
        return HttpResponse("bad signature", status=403, content_type="text/plain")
    return None


def _ok(account: SmsAccount) -> HttpResponse:
    if account.provider == Provider.TWILIO:
        # Twilio reads the answer as TwiML: an empty one sends no auto-reply.
        return HttpResponse("<Response/>", content_type="text/xml")
    return HttpResponse("ok", content_type="text/plain")


@csrf_exempt
@require_POST
def inbound(request: HttpRequest, account_id: int) -> HttpResponse:
    account = _account(account_id)
    refusal = _verified(request, account)
    if refusal is not None:
        return refusal
    body = request.body
    try:
        sms = providers.parse_inbound(account, body)
    except Malformed as exc:
        return refuse_malformed(
            channel=Channel.SMS,
            source=source_for(account),
            raw=body,
            reason=REASON_MALFORMED % {"why": exc},
        )
    # The outermost atomic block: leaving it commits, so the answer below is
    # only sent for a receipt that is stored.
    with transaction.atomic():
        accept(channel=Channel.SMS, source=source_for(account), key=sms.provider_id, raw=body)
    return _ok(account)


@csrf_exempt
@require_POST
def status(request: HttpRequest, account_id: int) -> HttpResponse:
    account = _account(account_id)
    refusal = _verified(request, account)
    if refusal is not None:
        return refusal
    try:
        receipt = providers.parse_status(account, request.body)
    except Malformed as exc:
        log.warning("Malformed SMS status for account %s: %s", account.pk, exc)
        return HttpResponse("malformed", status=400, content_type="text/plain")
    if receipt is not None:
        outbox.record_status(Channel.SMS, receipt.provider_id, receipt.status, error=receipt.error)
    return _ok(account)
