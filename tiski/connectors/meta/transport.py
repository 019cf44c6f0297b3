"""Sending one Messenger or Instagram outbox row: the registry's sender for both channels.

The window is decided at the moment of sending (a reply retried after the
24 hours goes with the HUMAN_AGENT tag); after 7 days the row fails with
the reason and Meta is not called. Files go first, one attachment message
each (the Send API carries no caption), then the text; a file the channel
does not carry fails the row before anything is sent.
"""

from __future__ import annotations

from tiski.connectors.messaging import outgoing
from tiski.connectors.models import OutboundMessage
from tiski.connectors.registry import CHANNELS
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
    human_agent = now_state == window.State.HUMAN_AGENT
    outgoing.check_files(row, CHANNELS[row.channel])

    def send_file(file: outgoing.OutgoingFile, content: bytes, caption: str) -> str:
        return api.send_file(
            account,
            row.recipient,
            filename=file.filename,
            content_type=file.content_type,
            content=content,
            human_agent=human_agent,
        )

    return outgoing.send_with_files(
        row,
        send_file=send_file,
        send_text=lambda text: api.send_text(account, row.recipient, text, human_agent=human_agent),
        caption_limit=0,
    )
