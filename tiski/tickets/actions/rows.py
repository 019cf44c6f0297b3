"""Unsaved rows shared by the actions that write one ticket or message and
by `receive_messages`, which writes a batch a table at a time: both build
the same rows with the same rules here."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.core.files.base import File
from django.db import connection, models
from django.utils.translation import gettext as _

from tiski.core.bulk import insert_instances
from tiski.core.sanitize import StoredBody, storable, stored_body
from tiski.customers.models import Contact

from ..models import (
    PRIORITY_RANK,
    Attachment,
    Message,
    MessageKind,
    Priority,
    Status,
    Ticket,
    TicketType,
)

if TYPE_CHECKING:
    from tiski.accounts.models import Team, User

TICKET_NUMBER_SEQUENCE = "ticket_number"


@dataclass(frozen=True)
class NewAttachment:
    """An uploaded or received file, before it is stored on a message."""

    filename: str
    content: File
    content_type: str = "application/octet-stream"
    content_id: str = ""
    inline: bool = False


def attachment_rows(message: Message, attachments: Iterable[NewAttachment]) -> list[Attachment]:
    """Store the files and return their (unsaved) rows."""
    rows = []
    for item in attachments:
        record = Attachment(
            message=message,
            filename=item.filename[:255] or "attachment",
            content_type=item.content_type or "application/octet-stream",
            content_id=item.content_id,
            inline=item.inline,
        )
        record.file.save(item.filename or "attachment", item.content, save=False)
        record.size = record.file.size
        rows.append(record)
    return rows


def store_attachments(message: Message, attachments: Iterable[NewAttachment]) -> None:
    insert_all(Attachment, attachment_rows(message, attachments))


def insert_all(model: type[models.Model], rows: Sequence[models.Model]) -> None:
    """Insert rows in one statement where the database hands their ids back."""
    if not rows:
        return
    if connection.vendor == "postgresql":
        # The same rows as bulk_create, for a fraction of its Python (see there).
        insert_instances(model, rows)
    elif connection.features.can_return_rows_from_bulk_insert:
        model.objects.bulk_create(rows)
    else:  # SQLite before 3.35: one by one, which sets each id
        for row in rows:
            row.save(force_insert=True)


def ticket_row(
    *,
    number: int,
    requester: Contact,
    subject: str,
    channel: str,
    now: datetime,
    status: str,
    type: TicketType | None = None,  # noqa: A002 - the domain calls it type
    priority: str = Priority.NORMAL,
    team: Team | None = None,
    assignee: User | None = None,
    due_at: datetime | None = None,
) -> Ticket:
    return Ticket(
        number=number,
        subject=(storable(subject).strip() or _("(no subject)"))[:300],
        status=status,
        type=type,
        priority=priority,
        priority_rank=PRIORITY_RANK.get(priority, 1),
        team=team,
        assignee=assignee,
        requester=requester,
        channel=channel,
        due_at=due_at,
        created_at=now,
        updated_at=now,
        status_changed_at=now,
    )


def message_row(
    ticket: Ticket,
    *,
    kind: str,
    actor: User | None,
    channel: str,
    author_contact: Contact | None,
    text: str,
    html: str,
    external_id: str,
    meta: dict | None,
    now: datetime,
    thread_index_root: str = "",
    body: StoredBody | None = None,
) -> Message:
    """``body``: ``stored_body`` of this text, HTML and fold, made ahead
    (the importer's parse workers); else made here."""
    meta = meta or {}
    if body is None:
        body = stored_body(text, html, fold_text_at=meta.get("fold_text_at"))
    return Message(
        ticket=ticket,
        kind=kind,
        author_user=actor if kind != MessageKind.CUSTOMER else None,
        author_contact=author_contact if kind == MessageKind.CUSTOMER else None,
        channel=channel,
        text=body.text,
        html=body.html,
        preview=body.preview,
        external_id=external_id[:500],
        thread_index_root=thread_index_root[:44],
        meta=meta,
        created_at=now,
    )


def message_effects(ticket: Ticket, kind: str, now: datetime) -> tuple[list[str], str | None]:
    """What a new message does to its ticket: the report timestamps it moves
    (changed on ``ticket`` in memory) and the status it implies, if any."""
    changed: list[str] = []
    if now > ticket.updated_at:
        ticket.updated_at = now
        changed.append("updated_at")
    status_after = None
    if kind == MessageKind.CUSTOMER:
        if ticket.last_customer_message_at != now:
            ticket.last_customer_message_at = now
            changed.append("last_customer_message_at")
        # A customer writing again reopens a ticket that waited on them or was solved.
        if ticket.status in (Status.PENDING, Status.SOLVED):
            status_after = Status.OPEN
    elif kind == MessageKind.PUBLIC:
        if ticket.first_agent_reply_at is None:
            ticket.first_agent_reply_at = now
            changed.append("first_agent_reply_at")
        ticket.last_agent_reply_at = now
        changed.append("last_agent_reply_at")
        if ticket.status == Status.NEW:
            status_after = Status.OPEN
    return changed, status_after
