"""After a ticket changed: mentions, auto-follows and the followers' notices.

Named in ``TISKI_TICKET_CHANGE_HANDLERS``; runs after commit, so a failed
notice never undoes the change that caused it.
"""

from __future__ import annotations

from tiski.core.sanitize import plain_preview
from tiski.tickets.changes import TicketChange
from tiski.tickets.models import Message, MessageKind

from . import mentions, services
from .models import FollowReason, Kind

# Bookkeeping fields a follower does not need to hear about.
_QUIET_FIELDS = {"updated_at", "first_response_at", "solved_at", "closed_at", "last_message_at"}


def _excerpt(message: Message) -> str:
    text = message.preview or plain_preview(message.text, message.html)
    return text[:140]


def _messages(change: TicketChange) -> list[Message]:
    if not change.messages:
        return []
    ids = [pk for pk, _kind in change.messages]
    return list(Message.objects.filter(pk__in=ids).select_related("ticket", "author_user"))


def _on_note(message: Message) -> None:
    found = mentions.resolve(message.ticket, message.text)
    if not found.users:
        return
    author_id = message.author_user_id
    for user in found.users:
        if user.pk != author_id:
            services.follow(user, message.ticket_id, FollowReason.MENTIONED)
    services.notify(
        [u.pk for u in found.users],
        Kind.MENTION,
        ticket_id=message.ticket_id,
        actor_id=author_id,
        message_id=message.pk,
        params={"excerpt": _excerpt(message)},
    )


def on_ticket_change(change: TicketChange) -> None:
    for message in _messages(change):
        if message.kind == MessageKind.INTERNAL:
            _on_note(message)
        elif message.kind == MessageKind.PUBLIC and message.author_user_id:
            services.follow(message.author_user_id, message.ticket_id, FollowReason.REPLIED)
        elif message.kind == MessageKind.CUSTOMER and not change.created:
            services.notify(
                services.follower_ids(change.ticket_id),
                Kind.CUSTOMER_MESSAGE,
                ticket_id=change.ticket_id,
                message_id=message.pk,
                params={"excerpt": _excerpt(message)},
            )
    changed = sorted(name for name in change.fields if name not in _QUIET_FIELDS)
    # A customer's message reopening the ticket is told once, as the message.
    if changed and not change.created and MessageKind.CUSTOMER not in change.message_kinds:
        services.notify(
            services.follower_ids(change.ticket_id),
            Kind.CHANGE,
            ticket_id=change.ticket_id,
            actor_id=change.actor_id,
            params={"fields": changed},
        )
