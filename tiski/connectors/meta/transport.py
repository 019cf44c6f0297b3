"""Sending one Messenger or Instagram outbox row: the registry's sender for both channels.

The window is decided at the moment of sending (a reply retried after the
24 hours goes with the HUMAN_AGENT tag); after 7 days the row fails with
the reason and Meta is not called.
"""

from __future__ import annotations

from tiski.connectors.models import OutboundMessage
from tiski.connectors.transport import TransportError

from . import api, window
from .models import MetaAccount

REASON_NO_ACCOUNT = (
    "The Facebook page or Instagram account this message was to go from is deleted or not active."
)
REASON_WINDOW_CLOSED = (
    "The customer's last message is over 7 days old: Meta allows no reply on this channel "
    "until they write again."
)


def send(row: OutboundMessage) -> str:
    account = MetaAccount.objects.filter(pk=row.account_id, active=True).first()
    if account is None:
        raise TransportError(REASON_NO_ACCOUNT, permanent=True)
    now_state = window.state(row.ticket, row.channel) if row.ticket_id else window.State.CLOSED
    if now_state == window.State.CLOSED:
        raise TransportError(REASON_WINDOW_CLOSED, permanent=True)
    return api.send_text(
        account, row.recipient, row.body, human_agent=now_state == window.State.HUMAN_AGENT
    )
