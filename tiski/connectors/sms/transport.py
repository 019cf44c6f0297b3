"""Sending one SMS outbox row: the registry's sender for the sms channel.

A row names its SMS number (account); a row without one (the phone
channel's callback notice) goes through the server-wide provider of
``TISKI_SMS_*``. A number that opted out is refused for good.
"""

from __future__ import annotations

from tiski.connectors.models import OutboundMessage
from tiski.connectors.transport import TransportError

from . import optout, providers
from .models import SmsAccount

REASON_OPTED_OUT = "%(number)s has opted out of SMS (sent STOP)."
REASON_NO_ACCOUNT = "The SMS number this message was to go from is deleted or not active."


def send(row: OutboundMessage) -> str:
    if optout.opted_out(row.recipient):
        raise TransportError(REASON_OPTED_OUT % {"number": row.recipient}, permanent=True)
    if row.account_id is None:
        from tiski.connectors.phone.sms import get_provider

        provider = get_provider()
        if provider is None:
            raise TransportError("no SMS provider configured", permanent=True)
        return provider.send(row.recipient, row.body)
    account = SmsAccount.objects.filter(pk=row.account_id, active=True).first()
    if account is None:
        raise TransportError(REASON_NO_ACCOUNT, permanent=True)
    return providers.send(account, row.recipient, row.body)
