"""The one shape an inbound message of any messaging channel is normalised to."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class InboundAttachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class InboundMessage:
    """A customer's message as the channel's parser understood it.

    ``sender_kind`` is a customers.IdentityKind value (SMS and WhatsApp:
    ``phone``, in E.164, so a message from a number that called yesterday
    finds that contact). ``account`` is the channel account's id (the SMS
    number it came to); ``provider_id`` the provider's message id;
    ``reply_to_id`` the provider id of the message this answers, and
    ``conversation_id`` the provider's own thread, when the channel has them.
    """

    channel: str
    account: int | None
    sender_kind: str
    sender_value: str
    text: str
    provider_id: str
    sender_name: str = ""
    attachments: tuple[InboundAttachment, ...] = field(default_factory=tuple)
    reply_to_id: str = ""
    conversation_id: str = ""
    sent_at: datetime | None = None
    meta: dict = field(default_factory=dict)


class Malformed(Exception):
    """A signed payload that is not a message we understand: kept in quarantine."""
