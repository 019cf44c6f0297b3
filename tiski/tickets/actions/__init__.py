"""Every write that changes a ticket goes through these functions.

The desk UI, the API, rules and channels all call them, so a change always
writes its events, keeps the report timestamps and tells open browsers, in
one place. ``check_*`` functions validate and authorise; ``do``-style
functions change state. Side effects run after the transaction commits.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import File
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tiski.core.bulk import update_rows
from tiski.core.models import Sequence as NumberSequence
from tiski.core.sanitize import plain_preview, sanitize_html
from tiski.customers.models import Contact

from .. import changes
from ..models import (
    PRIORITY_RANK,
    UNSOLVED_STATUSES,
    Attachment,
    BulkChange,
    Channel,
    Event,
    EventKind,
    LinkKind,
    Message,
    MessageKind,
    Priority,
    Status,
    Tag,
    Ticket,
    TicketLink,
    TicketMerge,
    TicketType,
    Via,
)

if TYPE_CHECKING:
    from tiski.accounts.models import Team, User

TICKET_NUMBER_SEQUENCE = "ticket_number"
P = ParamSpec("P")
R = TypeVar("R")

# Fields an agent, rule or API may change with update_ticket, and how an
# event shows their values.
EDITABLE_FIELDS = (
    "subject",
    "status",
    "type",
    "priority",
    "due_at",
    "assignee",
    "team",
    "requester",
    "parent",
)


@dataclass(frozen=True)
class NewAttachment:
    """An uploaded or received file, before it is stored on a message."""

    filename: str
    content: File
    content_type: str = "application/octet-stream"
    content_id: str = ""
    inline: bool = False


# --- checks -----------------------------------------------------------------


def check_can_see(user: User, ticket: Ticket) -> None:
    if not Ticket.objects.visible_to(user).filter(pk=ticket.pk).exists():
        raise PermissionDenied(_("You cannot see this ticket."))


def check_can_write_message(user: User | None, kind: str) -> None:
    if user is None:
        return
    if kind == MessageKind.PUBLIC and not user.can_reply_publicly:
        raise PermissionDenied(_("Light agents can write internal notes only."))


def check_not_closed(ticket: Ticket) -> None:
    if ticket.status == Status.CLOSED:
        raise ValidationError(_("A closed ticket cannot be changed."))


def check_assignable(assignee: User | None, team: Team | None) -> None:
    if assignee is None:
        return
    if not assignee.is_active:
        raise ValidationError(_("%(name)s is not an active user.") % {"name": assignee})
    if team is not None and team.restricted and not assignee.is_admin:
        if not team.members.filter(pk=assignee.pk).exists():
            raise ValidationError(
                _("%(name)s is not a member of the restricted team %(team)s.")
                % {"name": assignee, "team": team}
            )


def check_can_solve(ticket: Ticket) -> None:
    if ticket.children.filter(status__in=UNSOLVED_STATUSES).exists():
        raise ValidationError(_("Solve the child tickets first."))


# --- writes -----------------------------------------------------------------


_inside_unit: ContextVar[bool] = ContextVar("inside_ticket_unit_of_work", default=False)


@contextmanager
def unit_of_work() -> Iterator[None]:
    """One transaction for several actions, announced together after commit.

    A channel taking in a message (contact, ticket, message, CCs) uses it,
    and every action opens one. Actions nested inside skip savepoints of
    their own: if one raises, the exception leaves the whole block, which
    rolls back as one, so a savepoint per action would only cost a round
    trip each. Code that catches an action's error and carries on must call
    the action outside a unit of work (or in its own ``transaction.atomic``).
    """
    if _inside_unit.get():
        yield
        return
    with transaction.atomic(), changes.collecting():
        token = _inside_unit.set(True)
        try:
            yield
        finally:
            _inside_unit.reset(token)


def ticket_action(fn: Callable[P, R]) -> Callable[P, R]:
    """One transaction, and one TicketChange per ticket announced after commit."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if _inside_unit.get():
            with transaction.atomic(savepoint=False):
                return fn(*args, **kwargs)
        with unit_of_work():
            return fn(*args, **kwargs)

    return wrapper


def _display(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    return str(getattr(value, "pk", value))


def _event_row(
    ticket: Ticket,
    *,
    kind: str,
    actor: User | None,
    via: str,
    field: str = "",
    old: Any = None,
    new: Any = None,
    meta: dict | None = None,
    at: datetime | None = None,
) -> Event:
    """An unsaved event; `_record` saves one, `receive_messages` many at once."""
    return Event(
        ticket=ticket,
        kind=kind,
        actor=actor,
        via=via,
        field=field,
        old_value=_display(old),
        new_value=_display(new),
        meta=meta or {},
        created_at=at or timezone.now(),
    )


def _note_event(event: Event) -> None:
    """Tell the change being collected what a saved event recorded."""
    ticket_id, via = event.ticket_id, event.via
    actor_id = event.actor_id
    if event.kind == EventKind.CREATED:
        changes.note_created(ticket_id, via=via, actor_id=actor_id)
    elif event.kind == EventKind.MESSAGE:
        changes.note_message(
            ticket_id,
            event.meta["message_id"],
            event.meta["message_kind"],
            via=via,
            actor_id=actor_id,
        )
    elif event.field == "tags":
        changes.note_tag(
            ticket_id,
            event.new_value or event.old_value,
            added=bool(event.new_value),
            via=via,
            actor_id=actor_id,
        )
    elif event.kind == EventKind.SLA:
        changes.note_touched(ticket_id, via=via, actor_id=actor_id)
    elif event.field:
        changes.note_field(
            ticket_id, event.field, event.old_value, event.new_value, via=via, actor_id=actor_id
        )


def _record(ticket: Ticket, **fields: Any) -> Event:
    event = _event_row(ticket, **fields)
    event.save()
    _note_event(event)
    return event


def _attachment_rows(message: Message, attachments: Iterable[NewAttachment]) -> list[Attachment]:
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


def _store_attachments(message: Message, attachments: Iterable[NewAttachment]) -> None:
    _insert_all(Attachment, _attachment_rows(message, attachments))


def _insert_all(model: type[models.Model], rows: Sequence[models.Model]) -> None:
    """Insert rows in one statement where the database hands their ids back."""
    if not rows:
        return
    if connection.features.can_return_rows_from_bulk_insert:
        model.objects.bulk_create(rows)
    else:  # SQLite before 3.35: one by one, which sets each id
        for row in rows:
            row.save(force_insert=True)


def _storable(value: str) -> str:
    # PostgreSQL refuses NUL in text columns; a customer's stray NUL byte
    # must not make their message impossible to store.
    return value.replace("\x00", "")


def _ticket_row(
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
        subject=(_storable(subject).strip() or _("(no subject)"))[:300],
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


def _message_row(
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
) -> Message:
    text = _storable(text)
    clean_html = sanitize_html(_storable(html)) if html else ""
    meta = meta or {}
    return Message(
        ticket=ticket,
        kind=kind,
        author_user=actor if kind != MessageKind.CUSTOMER else None,
        author_contact=author_contact if kind == MessageKind.CUSTOMER else None,
        channel=channel,
        text=text,
        html=clean_html,
        preview=plain_preview(text, clean_html, fold_text_at=meta.get("fold_text_at")),
        external_id=external_id[:500],
        thread_index_root=thread_index_root[:44],
        meta=meta,
        created_at=now,
    )


def _message_effects(ticket: Ticket, kind: str, now: datetime) -> tuple[list[str], str | None]:
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
) -> Ticket:
    """Open a ticket with its first message.

    ``first_message_kind`` says whose words the first message holds: the
    customer's (an email, or an agent typing what a caller said) or an
    agent's internal note.
    """
    check_assignable(assignee, team)
    check_can_write_message(actor, first_message_kind)
    now = created_at or timezone.now()
    if number is None:
        number = NumberSequence.next_value(TICKET_NUMBER_SEQUENCE)
    else:
        NumberSequence.ensure_at_least(TICKET_NUMBER_SEQUENCE, number)
    ticket = _ticket_row(
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
    _record(ticket, kind=EventKind.CREATED, actor=actor, via=via, at=now, meta={"channel": channel})
    if tags:
        _apply_tags(ticket, add=tags, remove=(), actor=actor, via=via, at=now)
    if text or html:
        add_message(
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
    message = _message_row(
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
        _store_attachments(message, attachments)
    _record(
        ticket,
        kind=EventKind.MESSAGE,
        actor=actor,
        via=via,
        at=now,
        meta={"message_id": message.pk, "message_kind": kind},
    )
    changed, implied = _message_effects(ticket, kind, now)
    if changed:
        ticket.save(update_fields=changed)
    status_after = status_after or implied
    if status_after and status_after != ticket.status:
        update_ticket(ticket, actor=actor, via=via, status=status_after, at=now)
    return message


@ticket_action
def update_ticket(
    ticket: Ticket,
    *,
    actor: User | None,
    via: str,
    at: datetime | None = None,
    event_meta: dict | None = None,
    **changes: Any,
) -> list[Event]:
    """Change ticket fields, writing one event per field that really changed."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"update_ticket cannot change {', '.join(sorted(unknown))}")
    check_not_closed(ticket)
    now = at or timezone.now()
    new_team = changes.get("team", ticket.team)
    new_assignee = changes.get("assignee", ticket.assignee)
    if "team" in changes or "assignee" in changes:
        check_assignable(new_assignee, new_team)
    status = changes.get("status")
    if status is not None and status not in Status.values:
        raise ValidationError(_("Unknown status %(status)s.") % {"status": status})
    if "priority" in changes and changes["priority"] not in Priority.values:
        raise ValidationError(_("Unknown priority %(p)s.") % {"p": changes["priority"]})
    if status in (Status.SOLVED, Status.CLOSED) and ticket.status not in (
        Status.SOLVED,
        Status.CLOSED,
    ):
        check_can_solve(ticket)
    if changes.get("parent") is not None and changes["parent"].pk == ticket.pk:
        raise ValidationError(_("A ticket cannot be its own parent."))

    events: list[Event] = []
    update_fields: set[str] = set()
    for field, new in changes.items():
        old = getattr(ticket, field)
        if _display(old) == _display(new):
            continue
        setattr(ticket, field, new)
        update_fields.add(field)
        events.append(
            _record(
                ticket,
                kind=EventKind.FIELD,
                actor=actor,
                via=via,
                field=field,
                old=old,
                new=new,
                at=now,
                meta=event_meta,
            )
        )
    if "priority" in update_fields:
        ticket.priority_rank = PRIORITY_RANK.get(ticket.priority, 1)
        update_fields.add("priority_rank")
    if "status" in update_fields:
        ticket.status_changed_at = now
        update_fields.add("status_changed_at")
        if ticket.status == Status.SOLVED:
            ticket.solved_at = now
            update_fields.add("solved_at")
        elif ticket.status == Status.CLOSED:
            ticket.closed_at = now
            ticket.solved_at = ticket.solved_at or now
            update_fields.update({"closed_at", "solved_at"})
        elif ticket.solved_at is not None:
            ticket.solved_at = None
            update_fields.add("solved_at")
    # Assigning an unassigned new ticket means someone is working on it.
    if (
        "assignee" in update_fields
        and ticket.assignee
        and ticket.status == Status.NEW
        and "status" not in changes
    ):
        events.append(
            _record(
                ticket,
                kind=EventKind.FIELD,
                actor=actor,
                via=via,
                field="status",
                old=Status.NEW,
                new=Status.OPEN,
                at=now,
            )
        )
        ticket.status = Status.OPEN
        ticket.status_changed_at = now
        update_fields.update({"status", "status_changed_at"})
    if update_fields:
        ticket.updated_at = max(ticket.updated_at, now)
        update_fields.add("updated_at")
        ticket.save(update_fields=sorted(update_fields))
    return events


def _apply_tags(
    ticket: Ticket,
    *,
    add: Iterable[str],
    remove: Iterable[str],
    actor: User | None,
    via: str,
    at: datetime | None = None,
    event_meta: dict | None = None,
) -> list[Event]:
    current = set(ticket.tags.values_list("name", flat=True))
    added = sorted({Tag.normalise(n) for n in add if n.strip()} - current)
    removed = sorted({Tag.normalise(n) for n in remove} & current)
    for name in added:
        tag, _created = Tag.objects.get_or_create(name=name[:60])
        ticket.tags.add(tag)
    if removed:
        ticket.tags.remove(*Tag.objects.filter(name__in=removed))
    # One event per tag: added ones carry the name as new value, removed as old.
    changed = [(name, "new") for name in added] + [(name, "old") for name in removed]
    return [
        _record(
            ticket,
            kind=EventKind.FIELD,
            actor=actor,
            via=via,
            field="tags",
            at=at,
            meta=event_meta,
            **{side: name},
        )
        for name, side in changed
    ]


@ticket_action
def set_tags(
    ticket: Ticket,
    names: Iterable[str],
    *,
    actor: User | None,
    via: str,
    event_meta: dict | None = None,
) -> list[Event]:
    """Make the ticket's tags exactly ``names``.

    ``event_meta`` goes on every tag event (a rule names itself there).
    """
    check_not_closed(ticket)
    wanted = {Tag.normalise(n) for n in names if n.strip()}
    current = set(ticket.tags.values_list("name", flat=True))
    events = _apply_tags(
        ticket,
        add=wanted - current,
        remove=current - wanted,
        actor=actor,
        via=via,
        event_meta=event_meta,
    )
    if events:
        ticket.updated_at = timezone.now()
        ticket.save(update_fields=["updated_at"])
    return events


@ticket_action
def add_tags(
    ticket: Ticket,
    names: Iterable[str],
    *,
    actor: User | None,
    via: str,
    event_meta: dict | None = None,
) -> list[Event]:
    check_not_closed(ticket)
    events = _apply_tags(ticket, add=names, remove=(), actor=actor, via=via, event_meta=event_meta)
    if events:
        ticket.updated_at = timezone.now()
        ticket.save(update_fields=["updated_at"])
    return events


@ticket_action
def retag(
    ticket: Ticket,
    *,
    add: Iterable[str],
    remove: Iterable[str],
    actor: User | None,
    via: str,
    event_meta: dict | None = None,
) -> list[Event]:
    """Tag housekeeping (an admin renames, merges or deletes a tag).

    Unlike `set_tags` it also reaches closed tickets: the tag itself is
    changing, and a closed ticket left pointing at a deleted or renamed tag
    would make reports disagree. Each ticket still gets its own events.
    """
    return _apply_tags(ticket, add=add, remove=remove, actor=actor, via=via, event_meta=event_meta)


@ticket_action
def record_sla_event(ticket: Ticket, kind: str, *, due_at: datetime, target: str) -> Event:
    """A near-breach ("sla_warning") or breach ("sla_breach") of a target.

    Written by the SLA checker so the timeline, reports and rules see it.
    """
    return _record(
        ticket,
        kind=EventKind.SLA,
        actor=None,
        via=Via.SYSTEM,
        field=kind,
        new=due_at,
        meta={"target": target},
    )


@ticket_action
def add_ccs(
    ticket: Ticket, contacts: Iterable[Contact], *, actor: User | None, via: str
) -> list[Contact]:
    """Copy people on the ticket (email CC); returns the ones newly added."""
    known = set(ticket.ccs.values_list("pk", flat=True)) | {ticket.requester_id}
    new = [c for c in contacts if c.pk not in known]
    if new:
        ticket.ccs.add(*new)
        _record(
            ticket,
            kind=EventKind.FIELD,
            actor=actor,
            via=via,
            field="ccs",
            new=", ".join(str(c) for c in new),
        )
    return new


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
    now = link.created_at
    meta = {"kind": kind, "link_id": link.pk}
    for ticket, field, other in ((source, "link", target), (target, "linked_from", source)):
        _event_row(
            ticket,
            kind=EventKind.FIELD,
            actor=actor,
            via=via,
            field=field,
            new=other.number,
            meta=meta,
            at=now,
        ).save()
        # Announced as touched, not as a field change: a link is a note for
        # agents, not an edit that rules should answer.
        changes.note_touched(ticket.pk, via=via, actor_id=actor.pk if actor else None)
    return link


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
    _record(
        source,
        kind=EventKind.FIELD,
        actor=actor,
        via=via,
        field="message_moved",
        old=message.pk,
        new=target.number,
        at=now,
    )
    _record(
        target,
        kind=EventKind.FIELD,
        actor=actor,
        via=via,
        field="message_moved_in",
        old=source.number,
        new=message.pk,
        at=now,
    )
    for ticket in (source, target):
        ticket.updated_at = now
        ticket.save(update_fields=["updated_at"])
    return message


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


@ticket_action
def merge_tickets(source: Ticket, target: Ticket, *, actor: User | None, via: str) -> TicketMerge:
    """Merge ``source`` into ``target``: its conversation moves over and it is closed.

    Checks (``merge.check_can_merge``) that the actor sees both, that neither
    is closed or merged away, and that they differ. What moves, and why the
    source is closed rather than solved, is in `tickets/actions/merge.py`; the
    returned record is what `undo_ticket_merge` needs.
    """
    from . import merge

    return merge.merge(source, target, actor=actor, via=via)


@ticket_action
def undo_ticket_merge(record: TicketMerge, *, actor: User | None, via: str) -> TicketMerge:
    """Move back exactly what the merge moved and reopen the source with its old status."""
    from . import merge

    return merge.undo(record, actor=actor, via=via)


def bulk_update_tickets(
    tickets: Iterable[Ticket],
    *,
    actor: User | None,
    via: str,
    fields: dict[str, Any],
    add_tags: Iterable[str] = (),
    remove_tags: Iterable[str] = (),
    per_ticket: Callable[[Ticket], None] | None = None,
    kind: str = "update",
) -> BulkChange:
    """Change many tickets at once as one unit of work, recorded for one undo.

    Each ticket goes through `update_ticket` / `set_tags` (and
    ``per_ticket``, e.g. a ready answer's reply), so it gets its events and
    one announced change; the handlers run after the commit, once per
    ticket, bulk forms in one call. See `tickets/actions/bulk.py`.
    """
    from . import bulk

    with changes.batched(), unit_of_work():
        return bulk.update(
            tickets,
            actor=actor,
            via=via,
            fields=fields,
            add_tags=add_tags,
            remove_tags=remove_tags,
            per_ticket=per_ticket,
            kind=kind,
        )


def bulk_merge_tickets(
    sources: Iterable[Ticket], target: Ticket, *, actor: User | None, via: str
) -> BulkChange:
    """Merge several tickets into one, as one unit of work with one undo."""
    from . import bulk

    with changes.batched(), unit_of_work():
        return bulk.merge(sources, target, actor=actor, via=via)


def undo_bulk_change(
    record: BulkChange, *, actor: User | None, via: str
) -> tuple[BulkChange, list[str]]:
    """Put back the old values a bulk change replaced; returns why any ticket was left."""
    from . import bulk

    with changes.batched(), unit_of_work():
        return bulk.undo(record, actor=actor, via=via)


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
    event = _event_row(
        ticket,
        kind=EventKind.FIELD,
        actor=actor,
        via=via,
        field="message_meta",
        old=json.dumps(old, sort_keys=True, default=str),
        new=json.dumps(changed, sort_keys=True, default=str),
        meta={"message_id": message.pk, "keys": sorted(changed)},
    )
    event.save()
    changes.note_touched(ticket.pk, via=via, actor_id=actor.pk if actor else None)
    return event


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
        spec.ticket = _ticket_row(
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
            _message_effects(item.target.ticket, MessageKind.CUSTOMER, item.created_at or stamp)
    _insert_all(Ticket, new_tickets)
    created_events = [
        _event_row(
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
        message = _message_row(
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
        )
        rows.append((message, ticket, now))
    _insert_all(Message, [message for message, _t, _n in rows])
    attachments = [
        record
        for (message, _t, _n), item in zip(rows, items, strict=True)
        for record in _attachment_rows(message, item.attachments)
    ]
    _insert_all(Attachment, attachments)

    events = list(created_events)
    touched: dict[int, Ticket] = {}
    changed_fields: set[str] = set()
    reopen: dict[int, tuple[Ticket, datetime]] = {}
    for message, ticket, now in rows:
        events.append(
            _event_row(
                ticket,
                kind=EventKind.MESSAGE,
                actor=None,
                via=via,
                at=now,
                meta={"message_id": message.pk, "message_kind": MessageKind.CUSTOMER},
            )
        )
        changed, implied = _message_effects(ticket, MessageKind.CUSTOMER, now)
        if changed:
            touched[ticket.pk] = ticket
            changed_fields.update(changed)
        if implied and implied != ticket.status and ticket.pk not in reopen:
            reopen[ticket.pk] = (ticket, now)
    _insert_all(Event, events)
    for event in events:
        _note_event(event)
    if touched:
        update_rows(Ticket, list(touched.values()), sorted(changed_fields))
    for ticket, now in reopen.values():
        update_ticket(ticket, actor=None, via=via, status=Status.OPEN, at=now)
    return [message for message, _t, _n in rows]


def messages_since(ticket: Ticket, last_seen_message_id: int | None) -> list[Message]:
    """Messages added after the one an agent last saw: the collision check."""
    qs = ticket.messages.exclude(kind=MessageKind.SYSTEM).select_related(
        "author_user", "author_contact"
    )
    if last_seen_message_id:
        qs = qs.filter(pk__gt=last_seen_message_id)
    return list(qs)


__all__ = [
    "NewAttachment",
    "Via",
    "add_message",
    "add_tags",
    "bulk_merge_tickets",
    "bulk_update_tickets",
    "check_can_see",
    "create_child_ticket",
    "create_ticket",
    "link_tickets",
    "merge_tickets",
    "messages_since",
    "set_tags",
    "undo_bulk_change",
    "undo_ticket_merge",
    "update_message_meta",
    "update_ticket",
]
