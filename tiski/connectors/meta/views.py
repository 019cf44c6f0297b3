"""The Messenger / Instagram webhook, one URL per page or account.

GET answers Meta's verification challenge; a POST must be signed
(``messaging/graph.py``: missing 401, wrong 403, nothing written). A
signed but malformed body is kept in quarantine (400). Each message,
postback and reaction is accepted as its own receipt and committed before
the 200; delivery and read events move the outbox rows.
"""

from __future__ import annotations

import json

from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from tiski.connectors.messaging import graph
from tiski.connectors.messaging.inbound import Malformed
from tiski.connectors.receipts import accept, refuse_malformed
from tiski.core.secrets import resolve

from .inbound import apply_receipt, source_for, split
from .models import MetaAccount

REASON_MALFORMED = "Malformed Messenger/Instagram webhook: %(why)s"


@csrf_exempt
@require_http_methods(["GET", "POST"])
def webhook(request: HttpRequest, account_id: int) -> HttpResponse:
    account = MetaAccount.objects.filter(pk=account_id, active=True).first()
    if account is None:
        raise Http404
    if request.method == "GET":
        return graph.verify_subscription(request, account.verify_token)
    refused = graph.refuse_unsigned(
        request, resolve(account.app_secret), what=f"{account.kind} account {account.pk}"
    )
    if refused is not None:
        return refused
    body = request.body
    try:
        events, receipts = split(account, body)
    except Malformed as exc:
        return refuse_malformed(
            channel=account.channel,
            source=source_for(account),
            raw=body,
            reason=REASON_MALFORMED % {"why": exc},
        )
    # The outermost atomic block: the 200 is sent only for stored receipts.
    with transaction.atomic():
        for key, event in events:
            accept(
                channel=account.channel,
                source=source_for(account),
                key=key[:200],
                raw=json.dumps(event, ensure_ascii=False).encode(),
            )
    for receipt in receipts:
        apply_receipt(account, receipt)
    return HttpResponse("ok", content_type="text/plain")
