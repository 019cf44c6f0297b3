"""Zendesk's words for Tiski's values, both ways, and one id space for "users".

Zendesk has one kind of user for agents and customers alike; Tiski keeps
desk users (agents, admins) and contacts (customers) apart. Agents keep
their own id; a contact's Zendesk id is its id plus ``END_USER_BASE``, so
one number always names one person and ``requester_id`` works as Zendesk
clients expect.
"""

from __future__ import annotations

from datetime import UTC, datetime

from tiski.accounts.models import Role
from tiski.movein import zendesk as zendesk_export
from tiski.tickets.models import Channel, Status

END_USER_BASE = 1_000_000_000

# Zendesk's statuses in their own order ("status<solved" means unsolved).
STATUSES = ("new", "open", "pending", "hold", "solved", "closed")
TO_TISKI_STATUS: dict[str, str] = dict(zendesk_export.STATUSES)
FROM_TISKI_STATUS = {tiski: zd for zd, tiski in TO_TISKI_STATUS.items()}
PRIORITIES = ("low", "normal", "high", "urgent")  # the same words in both
# The channel a Tiski ticket came in by, as Zendesk's ``via.channel``.
CHANNELS: dict[str, str] = {
    Channel.EMAIL: "email",
    Channel.WEB_FORM: "web",
    Channel.PHONE: "voice",
    Channel.CHAT: "chat",
    Channel.API: "api",
    Channel.SMS: "sms",
    Channel.WHATSAPP: "whatsapp",
    Channel.MESSENGER: "facebook",
    Channel.TELEGRAM: "telegram",
    Channel.MANUAL: "web",
}


def zendesk_status(status: str) -> str:
    return FROM_TISKI_STATUS.get(status, Status.OPEN)


def tiski_status(name: str) -> str | None:
    return TO_TISKI_STATUS.get(name)


def contact_user_id(contact_id: int | None) -> int | None:
    return None if contact_id is None else END_USER_BASE + contact_id


def is_contact_id(user_id: int) -> bool:
    return user_id >= END_USER_BASE


def contact_pk(user_id: int) -> int:
    return user_id - END_USER_BASE


def zendesk_role(role: str) -> str:
    return "admin" if role == Role.ADMIN else "agent"


def timestamp(moment: datetime | None) -> str | None:
    """Zendesk's time format: UTC, whole seconds, ``Z``."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
