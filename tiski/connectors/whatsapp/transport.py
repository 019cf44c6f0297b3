"""Sending one WhatsApp outbox row: the registry's sender for the whatsapp channel.

A row whose reply message names a template (``meta["template"]``, with its
``variables``) goes as that template; any other row as free text.
"""

from __future__ import annotations

from tiski.connectors.models import OutboundMessage
from tiski.connectors.transport import TransportError

from . import api
from .models import WhatsAppAccount, WhatsAppTemplate

REASON_NO_ACCOUNT = "The WhatsApp number this message was to go from is deleted or not active."
REASON_NO_TEMPLATE = "The WhatsApp template of this message is deleted or not active."


def send(row: OutboundMessage) -> str:
    account = WhatsAppAccount.objects.filter(pk=row.account_id, active=True).first()
    if account is None:
        raise TransportError(REASON_NO_ACCOUNT, permanent=True)
    meta = (row.message.meta or {}) if row.message_id else {}
    if meta.get("template"):
        template = WhatsAppTemplate.objects.filter(
            pk=meta["template"], account=account, active=True
        ).first()
        if template is None:
            raise TransportError(REASON_NO_TEMPLATE, permanent=True)
        values = [str(v) for v in meta.get("variables") or []]
        return api.send_template(account, row.recipient, template, values)
    return api.send_text(account, row.recipient, row.body)
