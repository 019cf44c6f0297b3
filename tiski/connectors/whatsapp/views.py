"""The WhatsApp webhook, one URL per number: the GET verification and the signed POSTs.

GET answers Meta's challenge when ``hub.verify_token`` is the number's
verify token (403 otherwise). A POST must carry ``X-Hub-Signature-256`` =
``sha256=`` HMAC-SHA256 of the raw body under the app secret: missing is
401, wrong is 403, and neither writes anything. A signed but malformed body
is kept in quarantine (400). Each message is accepted as its own receipt
and committed before the 200; statuses move the outbox rows.
"""

from __future__ import annotations

import json
import logging

from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from tiski.connectors.messaging import graph, outbox
from tiski.connectors.messaging.inbound import Malformed
from tiski.connectors.receipts import accept, refuse_malformed
from tiski.core.secrets import resolve
from tiski.tickets.models import Channel

from .inbound import source_for, split
from .models import WhatsAppAccount

log = logging.getLogger(__name__)

REASON_MALFORMED = "Malformed WhatsApp webhook: %(why)s"


@csrf_exempt
@require_http_methods(["GET", "POST"])
def webhook(request: HttpRequest, account_id: int) -> HttpResponse:
    account = WhatsAppAccount.objects.filter(pk=account_id, active=True).first()
    if account is None:
        raise Http404
    if request.method == "GET":
        return graph.verify_subscription(request, account.verify_token)
    refused = graph.refuse_unsigned(
        request, resolve(account.app_secret), what=f"WhatsApp number {account.pk}"
    )
    if refused is not None:
        return refused
    body = request.body
    try:
        messages, statuses = split(body)
    except Malformed as exc:
        return refuse_malformed(
            channel=Channel.WHATSAPP,
            source=source_for(account),
            raw=body,
            reason=REASON_MALFORMED % {"why": exc},
        )
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
