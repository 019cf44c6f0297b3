"""Opening a ticket by hand or from a channel, with its first message."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from tiski.core.models import Sequence as NumberSequence
from tiski.customers.models import Contact

from .. import custom_fields, events
from ..models import Channel, MessageKind, Priority, Status, Ticket, TicketType
from .checks import check_assignable, check_can_write_message
from .fields import apply_tags
from .messages import add_message
from .rows import TICKET_NUMBER_SEQUENCE, NewAttachment, ticket_row
from .unit import ticket_action

if TYPE_CHECKING:
    from tiski.accounts.models import Team, User


@ticket_action
def create_ticket(
    *,
    requester: Contact,
    subject: str,
    actor: User | None,
    via: str,
    channel: str = Channel.MANUAL,
    text: str = "",
    html: str = "",
    first_message_kind: str = MessageKind.CUSTOMER,
    type: TicketType | None = None,  # noqa: A002 - the domain calls it type
    priority: str = Priority.NORMAL,
    team: Team | None = None,
    assignee: User | None = None,
    tags: Sequence[str] = (),
    status: str | None = None,
    due_at: datetime | None = None,
    attachments: Iterable[NewAttachment] = (),
    external_id: str = "",
    created_at: datetime | None = None,
    number: int | None = None,
    message_meta: dict | None = None,
    ccs: Iterable[Contact] = (),
    fields: dict[str, Any] | None = None,
) -> Ticket:
    """Open a ticket with its first message.

    ``first_message_kind`` says whose words the first message holds: the
    customer's (an email, or an agent typing what a caller said) or an
    agent's internal note.

    The returned ticket carries that message as ``first_message`` (None
    without one), as written: a caller that answers with its id (the web
    chat's ack) needs no query for it.
    """
    check_assignable(assignee, team)
    check_can_write_message(actor, first_message_kind)
    cleaned = custom_fields.clean_values(fields or {})
    now = created_at or timezone.now()
    if number is None:
        number = NumberSequence.next_value(TICKET_NUMBER_SEQUENCE)
    else:
        NumberSequence.ensure_at_least(TICKET_NUMBER_SEQUENCE, number)
    ticket = ticket_row(
        number=number,
        requester=requester,
        subject=subject,
        channel=channel,
        now=now,
        status=status or (Status.OPEN if assignee else Status.NEW),
        type=type,
        priority=priority,
        team=team,
        assignee=assignee,
        due_at=due_at,
    )
    if (text or html) and first_message_kind == MessageKind.CUSTOMER:
        ticket.last_customer_message_at = now  # the first message's; saves an UPDATE
    ticket.save(force_insert=True)
    ccs = [c for c in ccs if c.pk != requester.pk]
    if ccs:
        ticket.ccs.add(*ccs)
    events.record_created(ticket, channel=channel, actor=actor, via=via, at=now)
    if tags:
        apply_tags(ticket, add=tags, remove=(), actor=actor, via=via, at=now)
    for field, old, new in custom_fields.write_values(ticket, cleaned):
        events.record_custom_field(ticket, field.key, old, new, actor=actor, via=via, at=now)
    ticket.first_message = None
    if text or html or attachments:
        ticket.first_message = add_message(
            ticket,
            kind=first_message_kind,
            actor=actor,
            author_contact=requester if first_message_kind == MessageKind.CUSTOMER else None,
            via=via,
            channel=channel,
            text=text,
            html=html,
            attachments=attachments,
            external_id=external_id,
            created_at=now,
            meta={
                **(
                    {"entered_by": actor.pk}
                    if actor and first_message_kind == MessageKind.CUSTOMER
                    else {}
                ),
                **(message_meta or {}),
            },
        )
    return ticket
