"""Customer messages from a channel, many at once (an IMAP fetch, an import batch)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.utils import timezone

from tiski.core.bulk import update_rows
from tiski.core.models import Sequence as NumberSequence
from tiski.core.sanitize import StoredBody
from tiski.customers.models import Contact

from .. import events
from ..models import (
    Attachment,
    Event,
    EventKind,
    Message,
    MessageKind,
    Status,
    Ticket,
    TicketType,
    Via,
)
from .checks import check_not_closed
from .fields import update_ticket
from .rows import (
    TICKET_NUMBER_SEQUENCE,
    NewAttachment,
    attachment_rows,
    insert_all,
    message_effects,
    message_row,
    ticket_row,
)
from .unit import ticket_action

if TYPE_CHECKING:
    from tiski.accounts.models import Team


@dataclass
class NewTicket:
    """A ticket that incoming messages open (see `receive_messages`).

    Several messages of one batch may name the same NewTicket (a reply to a
    mail that came in a moment earlier); ``ticket`` is the row once made.
    """

    requester: Contact
    subject: str
    channel: str
    type: TicketType | None = None
    team: Team | None = None
    created_at: datetime | None = None
    ticket: Ticket | None = None
    # Reserved ahead by `number_new_tickets` when the caller must name it early.
    number: int | None = None


def number_new_tickets(specs: Sequence[NewTicket]) -> None:
    """Reserve numbers, in order, for the specs that have none yet.

    `receive_messages` does it itself; a caller that must write a ticket's
    number into a message of the same batch does it first.
    """
    missing = [spec for spec in specs if spec.number is None]
    numbers = NumberSequence.reserve(TICKET_NUMBER_SEQUENCE, len(missing)) if missing else []
    for spec, number in zip(missing, numbers, strict=True):
        spec.number = number


@dataclass(frozen=True)
class IncomingMessage:
    """A customer's message from a channel, for an existing or a new ticket."""

    target: Ticket | NewTicket
    author: Contact
    channel: str
    text: str = ""
    html: str = ""
    external_id: str = ""
    meta: dict | None = None
    attachments: Sequence[NewAttachment] = ()
    created_at: datetime | None = None
    # An Outlook conversation root (see channels/email/threading.py).
    thread_index_root: str = ""
    # `core.sanitize.stored_body` of text, html and the meta's fold, when the
    # caller made it ahead (the importer's parse workers); else made here.
    body: StoredBody | None = None


@ticket_action
def receive_messages(items: Sequence[IncomingMessage], *, via: str = Via.CHANNEL) -> list[Message]:
    """Add many customer messages at once, opening the tickets they need.

    The same rows, events and timestamps as `create_ticket` and
    `add_message` would write one by one (it shares their row builders),
    but inserted a table at a time: a batch of a hundred mails costs a dozen
    statements instead of a thousand. Existing targets must be locked by the
    caller (select_for_update) and not closed. Messages are written in the
    order given; a customer reply reopens a pending or solved ticket as
    `add_message` does.
    """
    # An empty message is allowed here: a customer did send it, and the
    # conversation shows that it was empty (an agent's reply must not be).
    for item in items:
        if isinstance(item.target, Ticket):
            check_not_closed(item.target)
    stamp = timezone.now()
    new_specs = list(
        {id(i.target): i.target for i in items if isinstance(i.target, NewTicket)}.values()
    )
    number_new_tickets(new_specs)
    new_tickets: list[Ticket] = []
    for spec in new_specs:
        assert spec.number is not None
        spec.ticket = ticket_row(
            number=spec.number,
            requester=spec.requester,
            subject=spec.subject,
            channel=spec.channel,
            now=spec.created_at or stamp,
            status=Status.NEW,
            type=spec.type,
            team=spec.team,
        )
        new_tickets.append(spec.ticket)
    # A new ticket is inserted with the timestamps its messages give it, so
    # it needs no UPDATE afterwards.
    for item in items:
        if isinstance(item.target, NewTicket):
            message_effects(item.target.ticket, MessageKind.CUSTOMER, item.created_at or stamp)
    insert_all(Ticket, new_tickets)
    created_events = [
        events.event_row(
            t,
            kind=EventKind.CREATED,
            actor=None,
            via=via,
            at=t.created_at,
            meta={"channel": t.channel},
        )
        for t in new_tickets
    ]

    rows: list[tuple[Message, Ticket, datetime]] = []
    for item in items:
        ticket = item.target.ticket if isinstance(item.target, NewTicket) else item.target
        assert ticket is not None
        now = item.created_at or stamp
        message = message_row(
            ticket,
            kind=MessageKind.CUSTOMER,
            actor=None,
            channel=item.channel,
            author_contact=item.author,
            text=item.text,
            html=item.html,
            external_id=item.external_id,
            meta=item.meta,
            now=now,
            thread_index_root=item.thread_index_root,
            body=item.body,
        )
        rows.append((message, ticket, now))
    insert_all(Message, [message for message, _t, _n in rows])
    attachments = [
        record
        for (message, _t, _n), item in zip(rows, items, strict=True)
        for record in attachment_rows(message, item.attachments)
    ]
    insert_all(Attachment, attachments)

    new_events = list(created_events)
    touched: dict[int, Ticket] = {}
    changed_fields: set[str] = set()
    reopen: dict[int, tuple[Ticket, datetime]] = {}
    for message, ticket, now in rows:
        new_events.append(
            events.event_row(
                ticket,
                kind=EventKind.MESSAGE,
                actor=None,
                via=via,
                at=now,
                meta={"message_id": message.pk, "message_kind": MessageKind.CUSTOMER},
            )
        )
        changed, implied = message_effects(ticket, MessageKind.CUSTOMER, now)
        if changed:
            touched[ticket.pk] = ticket
            changed_fields.update(changed)
        if implied and implied != ticket.status and ticket.pk not in reopen:
            reopen[ticket.pk] = (ticket, now)
    insert_all(Event, new_events)
    for event in new_events:
        events.announce(event)
    if touched:
        update_rows(Ticket, list(touched.values()), sorted(changed_fields))
    for ticket, now in reopen.values():
        update_ticket(ticket, actor=None, via=via, status=Status.OPEN, at=now)
    return [message for message, _t, _n in rows]
