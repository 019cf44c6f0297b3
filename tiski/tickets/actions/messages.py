"""Messages: adding one, moving one to another ticket, late details, the collision check."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from tiski.customers.models import Contact

from .. import events
from ..models import Channel, Event, Message, MessageKind, Ticket
from .checks import check_can_write_message, check_not_closed
from .fields import update_ticket
from .rows import NewAttachment, message_effects, message_row, store_attachments
from .unit import ticket_action

if TYPE_CHECKING:
    from tiski.accounts.models import User


@ticket_action
def add_message(
    ticket: Ticket,
    *,
    kind: str,
    actor: User | None,
    via: str,
    text: str = "",
    html: str = "",
    channel: str = Channel.MANUAL,
    author_contact: Contact | None = None,
    attachments: Iterable[NewAttachment] = (),
    external_id: str = "",
    meta: dict | None = None,
    created_at: datetime | None = None,
    status_after: str | None = None,
    thread_index_root: str = "",
) -> Message:
    """Add a customer message, public reply, internal note or system message.

    A customer message reopens a pending or solved ticket; the first public
    reply stamps the first-response time. ``status_after`` is the status the
    agent picked with "send as ...".
    """
    check_not_closed(ticket)
    check_can_write_message(actor, kind)
    attachments = list(attachments)
    if not text.strip() and not html.strip() and not attachments:
        raise ValidationError(_("The message is empty."))
    now = created_at or timezone.now()
    message = message_row(
        ticket,
        kind=kind,
        actor=actor,
        channel=channel,
        author_contact=author_contact,
        text=text,
        html=html,
        external_id=external_id,
        meta=meta,
        now=now,
        thread_index_root=thread_index_root,
    )
    message.save(force_insert=True)
    if attachments:
        store_attachments(message, attachments)
    events.record_message(ticket, message, actor=actor, via=via, at=now)
    changed, implied = message_effects(ticket, kind, now)
    if changed:
        ticket.save(update_fields=changed)
    status_after = status_after or implied
    if status_after and status_after != ticket.status:
        update_ticket(ticket, actor=actor, via=via, status=status_after, at=now)
    return message


@ticket_action
def move_message(message: Message, target: Ticket, *, actor: User | None, via: str) -> Message:
    """Move a message that was threaded wrongly onto the ticket it belongs to.

    Both tickets record the move; the message keeps its time, author and
    attachments, and records where it came from.
    """
    source = message.ticket
    if target.pk == source.pk:
        raise ValidationError(_("The message is already on that ticket."))
    check_not_closed(source)
    check_not_closed(target)
    if message.kind == MessageKind.SYSTEM:
        raise ValidationError(_("System messages stay where they are."))
    message.ticket = target
    message.meta = {**message.meta, "moved_from": source.number}
    message.save(update_fields=["ticket", "meta"])
    now = timezone.now()
    events.record_message_moved(message, source, target, actor=actor, via=via, at=now)
    for ticket in (source, target):
        ticket.updated_at = now
        ticket.save(update_fields=["updated_at"])
    return message


@ticket_action
def update_message_meta(
    message: Message, meta_changes: dict[str, Any], *, actor: User | None, via: str
) -> Event | None:
    """Set keys of a message's ``meta``: a call's duration and recording arrive after it was logged.

    Writes one event with the old and new values of the keys that really
    changed (none changed: no event, returns None) and announces the ticket
    change. It is announced as "touched", not as a field change: a late
    recording from the telephony system is no edit that rules should answer.
    """
    message = Message.objects.select_for_update().select_related("ticket").get(pk=message.pk)
    ticket = message.ticket
    check_not_closed(ticket)
    changed = {key: value for key, value in meta_changes.items() if message.meta.get(key) != value}
    if not changed:
        return None
    old = {key: message.meta.get(key) for key in changed}
    message.meta = {**message.meta, **changed}
    message.save(update_fields=["meta"])
    return events.record_message_meta(ticket, message, old, changed, actor=actor, via=via)


def messages_since(ticket: Ticket, last_seen_message_id: int | None) -> list[Message]:
    """Messages added after the one an agent last saw: the collision check."""
    qs = ticket.messages.exclude(kind=MessageKind.SYSTEM).select_related(
        "author_user", "author_contact"
    )
    if last_seen_message_id:
        qs = qs.filter(pk__gt=last_seen_message_id)
    return list(qs)
