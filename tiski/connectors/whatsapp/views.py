"""The WhatsApp webhook, one URL per number: the GET verification and the signed POSTs.

GET answers Meta's challenge when ``hub.verify_token`` is the number's
verify token (403 otherwise). A POST must carry ``X-Hub-Signature-256`` =
``sha256=`` HMAC-SHA256 of the raw body under the app secret: missing is
401, wrong is 403, and neither writes anything. A signed but malformed body
is kept in quarantine (400). Each message is accepted as its own receipt
and committed before the 200; statuses move the outbox rows.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging

from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from tiski.connectors.messaging import outbox
from tiski.connectors.messaging.inbound import Malformed
from tiski.connectors.receipts import accept
from tiski.core.secrets import resolve
from tiski.tickets.models import Channel

from .inbound import source_for, split
from .models import WhatsAppAccount

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Hub-Signature-256"
MAX_BODY_BYTES = 1024 * 1024
REASON_MALFORMED = "Malformed WhatsApp webhook: %(why)s"


def signature(app_secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


@csrf_exempt
@require_http_methods(["GET", "POST"])
def webhook(request: HttpRequest, account_id: int) -> HttpResponse:
    account = WhatsAppAccount.objects.filter(pk=account_id, active=True).first()
    if account is None:
        raise Http404
    if request.method == "GET":
        return _verify_subscription(request, account)
    if len(request.body) > MAX_BODY_BYTES:
        return HttpResponse(status=413)
    given = request.headers.get(SIGNATURE_HEADER, "")
    if not given:
        return HttpResponse("signature missing", status=401, content_type="text/plain")
    expected = signature(resolve(account.app_secret), request.body)
    if not hmac.compare_digest(given.strip().encode(), expected.encode()):
        log.warning("Badly signed WhatsApp webhook for account %s", account.pk)
        return HttpResponse("bad signature", status=403, content_type="text/plain")
    body = request.body
    try:
        messages, statuses = split(body)
    except Malformed as exc:
        with transaction.atomic():
            accept(
                channel=Channel.WHATSAPP,
                source=source_for(account),
                key="malformed:" + hashlib.sha256(body).hexdigest(),
                raw=body,
                quarantine=REASON_MALFORMED % {"why": exc},
            )
        return HttpResponse("malformed; kept in quarantine", status=400, content_type="text/plain")
    # The outermost atomic block: the 200 is sent only for stored receipts.
    with transaction.atomic():
        for item in messages:
            accept(
                channel=Channel.WHATSAPP,
                source=source_for(account),
                key=str(item["message"]["id"]),
                raw=json.dumps(item, ensure_ascii=False).encode(),
            )
    for status in statuses:
        outbox.record_status(
            Channel.WHATSAPP, status.provider_id, status.status, error=status.error
        )
    return HttpResponse("ok", content_type="text/plain")


def _verify_subscription(request: HttpRequest, account: WhatsAppAccount) -> HttpResponse:
    mode = request.GET.get("hub.mode", "")
    token = request.GET.get("hub.verify_token", "")
    challenge = request.GET.get("hub.challenge", "")
    if mode == "subscribe" and token and hmac.compare_digest(token, account.verify_token):
        return HttpResponse(challenge, content_type="text/plain")
    return HttpResponse("verification failed", status=403, content_type="text/plain")
