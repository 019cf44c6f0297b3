"""How tickets relate: a mention (link), a message split off into a ticket of
its own, a child ticket that takes part of the work elsewhere."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .. import events
from ..models import (
    Channel,
    LinkKind,
    Message,
    MessageKind,
    Priority,
    Ticket,
    TicketLink,
    TicketType,
)
from .checks import check_not_closed
from .create import create_ticket
from .fields import update_ticket
from .messages import move_message
from .unit import ticket_action

if TYPE_CHECKING:
    from tiski.accounts.models import Team, User


@ticket_action
def link_tickets(
    source: Ticket,
    target: Ticket,
    *,
    kind: str = LinkKind.MENTIONS,
    actor: User | None,
    via: str,
    reason: str = "",
) -> TicketLink | None:
    """Record that ``source`` points at ``target``; None when it already did.

    Both tickets get an event, so each timeline says where the other is.
    """
    if source.pk == target.pk:
        raise ValidationError(_("A ticket cannot be linked to itself."))
    link, created = TicketLink.objects.get_or_create(
        source=source,
        target=target,
        kind=kind,
        defaults={"reason": reason, "actor": actor, "via": via},
    )
    if not created:
        return None
    events.record_link(link, actor=actor, via=via)
    return link


@ticket_action
def split_message(message: Message, *, actor: User | None, via: str) -> Ticket:
    """Turn one message into a new ticket of its own (a second question in a thread)."""
    source = message.ticket
    requester = message.author_contact or source.requester
    ticket = create_ticket(
        requester=requester,
        subject=source.subject,
        actor=actor,
        via=via,
        channel=message.channel,
        team=source.team,
        type=source.type,
        priority=source.priority,
    )
    move_message(message, ticket, actor=actor, via=via)
    return ticket


@ticket_action
def create_child_ticket(
    parent: Ticket,
    *,
    subject: str,
    actor: User | None,
    via: str,
    brief: str = "",
    type: TicketType | None = None,  # noqa: A002 - the domain calls it type
    priority: str = Priority.NORMAL,
    team: Team | None = None,
    assignee: User | None = None,
    due_at: datetime | None = None,
) -> Ticket:
    """Send part of a ticket's work to a team or an agent as a child ticket.

    Like `split_message`, the child is an ordinary ticket made by
    `create_ticket`: it keeps the parent's requester (and so the
    organisation), starts with the agent's brief as an internal note, and
    links to the parent, which cannot be solved while the child is open.
    """
    check_not_closed(parent)
    child = create_ticket(
        requester=parent.requester,
        subject=subject,
        actor=actor,
        via=via,
        channel=Channel.MANUAL,
        text=brief,
        first_message_kind=MessageKind.INTERNAL,
        type=type,
        priority=priority,
        team=team,
        assignee=assignee,
        due_at=due_at,
    )
    update_ticket(child, actor=actor, via=via, parent=parent)
    return child
