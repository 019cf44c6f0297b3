"""The Telegram webhook, one URL per bot.

Telegram sends the secret token given to setWebhook in
``X-Telegram-Bot-Api-Secret-Token``; a request without the right one gets
401 and writes nothing. A malformed update is kept in quarantine (400); a
good one is stored as a receipt keyed by update_id and committed before the
200, so Telegram's redelivery of a stored update stores nothing new.
"""

from __future__ import annotations

import hmac
import logging

from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from tiski.connectors.messaging.inbound import Malformed
from tiski.connectors.receipts import accept, refuse_malformed
from tiski.core.secrets import resolve
from tiski.tickets.models import Channel

from .inbound import parse_update, source_for
from .models import TelegramBot

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY_BYTES = 256 * 1024
REASON_MALFORMED = "Malformed Telegram update: %(why)s"


@csrf_exempt
@require_POST
def webhook(request: HttpRequest, bot_id: int) -> HttpResponse:
    bot = TelegramBot.objects.filter(pk=bot_id, active=True).first()
    if bot is None:
        raise Http404
    given = request.headers.get(SECRET_HEADER, "")
    if not given or not hmac.compare_digest(given.encode(), resolve(bot.secret_token).encode()):
        log.warning("Telegram webhook for bot %s without the right secret token", bot.pk)
        return HttpResponse("secret token missing or wrong", status=401, content_type="text/plain")
    body = request.body
    if len(body) > MAX_BODY_BYTES:
        return HttpResponse(status=413)
    try:
        update = parse_update(body)
    except Malformed as exc:
        return refuse_malformed(
            channel=Channel.TELEGRAM,
            source=source_for(bot),
            raw=body,
            reason=REASON_MALFORMED % {"why": exc},
        )
    with transaction.atomic():
        accept(
            channel=Channel.TELEGRAM, source=source_for(bot), key=str(update["update_id"]), raw=body
        )
    return HttpResponse("ok", content_type="text/plain")
