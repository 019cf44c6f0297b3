"""The ticket's audit trail: one function per kind of event.

Every writer of tickets (the actions, ticket merge, bulk changes, tag
housekeeping, contact merge) records what it did through these functions
and nothing else, so an event always has the same shape for the same kind
of change and always reaches the `TicketChange` being collected (see
`changes.py`), which the after-change handlers read. They write rows only:
the caller is an action that holds the transaction (`tickets.actions`).

``event_row`` and ``announce`` are the two halves of each function, for
code that inserts many events in one statement (`receive_messages`,
`update_tickets`, which builds its rows with `field_change_row`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from . import changes
from .models import Event, EventKind, Via

if TYPE_CHECKING:
    from tiski.accounts.models import User
    from tiski.customers.models import Contact

    from .models import Message, Ticket, TicketLink, TicketMerge


def display(value: Any) -> str:
    """How an event stores a value: a related row as its id, a time in ISO form."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    return str(getattr(value, "pk", value))


def event_row(
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
    """An unsaved event; the functions below save one, `receive_messages` many at once."""
    return Event(
        ticket=ticket,
        kind=kind,
        actor=actor,
        via=via,
        field=field,
        old_value=display(old),
        new_value=display(new),
        meta=meta or {},
        created_at=at or timezone.now(),
    )


def announce(event: Event) -> None:
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
        changes.note_sla(ticket_id, event.field, via=via, actor_id=actor_id)
    elif event.field:
        changes.note_field(
            ticket_id, event.field, event.old_value, event.new_value, via=via, actor_id=actor_id
        )


def _save(event: Event) -> Event:
    event.save()
    announce(event)
    return event


def _note_only(ticket: Ticket, event: Event) -> Event:
    """Save an event that is a note for agents, not an edit rules should answer.

    The ticket is announced as touched (a live refresh, a fresh index
    entry), without a field change.
    """
    event.save()
    changes.note_touched(ticket.pk, via=event.via, actor_id=event.actor_id)
    return event


# --- a ticket's life ----------------------------------------------------------------


def record_created(
    ticket: Ticket, *, channel: str, actor: User | None, via: str, at: datetime | None = None
) -> Event:
    return _save(
        event_row(
            ticket, kind=EventKind.CREATED, actor=actor, via=via, at=at, meta={"channel": channel}
        )
    )


def record_message(
    ticket: Ticket,
    message: Message,
    *,
    actor: User | None,
    via: str,
    at: datetime | None = None,
) -> Event:
    return _save(
        event_row(
            ticket,
            kind=EventKind.MESSAGE,
            actor=actor,
            via=via,
            at=at,
            meta={"message_id": message.pk, "message_kind": message.kind},
        )
    )


def record_field_change(
    ticket: Ticket,
    field: str,
    old: Any,
    new: Any,
    *,
    actor: User | None,
    via: str,
    at: datetime | None = None,
    meta: dict | None = None,
) -> Event:
    """One editable field (subject, type, priority, assignee, ...) changed."""
    return _save(field_change_row(ticket, field, old, new, actor=actor, via=via, at=at, meta=meta))


def field_change_row(
    ticket: Ticket,
    field: str,
    old: Any,
    new: Any,
    *,
    actor: User | None,
    via: str,
    at: datetime | None = None,
    meta: dict | None = None,
) -> Event:
    """The unsaved event of `record_field_change` (status included), for
    writers that insert many at once (`update_tickets`) and then `announce`."""
    return event_row(
        ticket,
        kind=EventKind.FIELD,
        actor=actor,
        via=via,
        field=field,
        old=old,
        new=new,
        at=at,
        meta=meta,
    )


# A custom field's events carry its key in `field` (rules and reports read
# changes by field name); the key is at most 32 characters, `Event.field` 40.
CUSTOM_FIELD_PREFIX = "custom:"


def record_custom_field(
    ticket: Ticket,
    key: str,
    old: str,
    new: str,
    *,
    actor: User | None,
    via: str,
    at: datetime | None = None,
    meta: dict | None = None,
) -> Event:
    """A custom field's value changed (canonical text; "" is no value)."""
    return record_field_change(
        ticket, CUSTOM_FIELD_PREFIX + key, old, new, actor=actor, via=via, at=at, meta=meta
    )


def record_escalation(
    ticket: Ticket,
    old_level: int,
    new_level: int,
    *,
    actor: User | None,
    via: str,
    reason: str,
    to_user_id: int | None,
    to_team_id: int | None,
    at: datetime | None = None,
) -> Event:
    """The ticket was escalated, to an agent (a team lead) and/or a team, with a reason."""
    return _save(
        event_row(
            ticket,
            kind=EventKind.FIELD,
            actor=actor,
            via=via,
            field="escalation_level",
            old=old_level,
            new=new_level,
            at=at,
            meta={"reason": reason, "to_user": to_user_id, "to_team": to_team_id},
        )
    )


def record_solve_override(
    ticket: Ticket, open_numbers: list[int], *, actor: User | None, via: str, at: datetime | None
) -> Event:
    """An admin solved a parent while these child tickets were still open."""
    return _note_only(
        ticket,
        event_row(
            ticket,
            kind=EventKind.FIELD,
            actor=actor,
            via=via,
            field="solve_override",
            new=", ".join(f"#{n}" for n in open_numbers),
            at=at,
            meta={"open_children": open_numbers},
        ),
    )


def record_side_conversation(
    ticket: Ticket,
    conversation_id: int,
    *,
    what: str,
    who: str,
    actor: User | None,
    via: str,
) -> Event:
    """A side conversation was started, answered by the third party, closed or reopened.

    A note for agents only (`_note_only`): rules do not answer it, and it is
    no message, so SLA clocks and reports go on as if it were not there.
    """
    return _note_only(
        ticket,
        event_row(
            ticket,
            kind=EventKind.FIELD,
            actor=actor,
            via=via,
            field="side_conversation",
            new=what,
            meta={"conversation": conversation_id, "who": who},
        ),
    )


def record_children_solved(ticket: Ticket, *, actor: User | None, via: str) -> Event:
    """The last open child ticket of this parent was solved: rules may move it on."""
    return _save(
        event_row(ticket, kind=EventKind.FIELD, actor=actor, via=via, field="children_solved")
    )


def record_status_change(
    ticket: Ticket,
    old: str,
    new: str,
    *,
    actor: User | None,
    via: str,
    at: datetime | None = None,
    meta: dict | None = None,
) -> Event:
    """The status changed; SLA clocks and reports read these events."""
    return record_field_change(ticket, "status", old, new, actor=actor, via=via, at=at, meta=meta)


def record_tags(
    ticket: Ticket,
    *,
    added: Iterable[str] = (),
    removed: Iterable[str] = (),
    actor: User | None,
    via: str,
    at: datetime | None = None,
    meta: dict | None = None,
) -> list[Event]:
    """One event per tag: an added one carries the name as new value, a removed one as old."""
    changed = [(name, "new") for name in added] + [(name, "old") for name in removed]
    return [
        _save(
            event_row(
                ticket,
                kind=EventKind.FIELD,
                actor=actor,
                via=via,
                field="tags",
                at=at,
                meta=meta,
                **{side: name},
            )
        )
        for name, side in changed
    ]


def record_ccs(
    ticket: Ticket,
    *,
    added: Sequence[Contact] = (),
    removed: Sequence[Contact] = (),
    actor: User | None,
    via: str,
    at: datetime | None = None,
    meta: dict | None = None,
) -> Event:
    """People copied on the ticket, or taken off it (a merge undone)."""
    return record_field_change(
        ticket,
        "ccs",
        ", ".join(str(c) for c in removed) if removed else None,
        ", ".join(str(c) for c in added) if added else "",
        actor=actor,
        via=via,
        at=at,
        meta=meta,
    )


def record_sla(
    ticket: Ticket, kind: str, *, due_at: datetime, target: str, at: datetime | None = None
) -> Event:
    """A near-breach ("sla_warning") or breach ("sla_breach") of a target.

    Announced as such in the ticket's change, which is how rules hear of it.
    """
    return _save(
        event_row(
            ticket,
            kind=EventKind.SLA,
            actor=None,
            via=Via.SYSTEM,
            field=kind,
            new=due_at,
            meta={"target": target},
            at=at,
        )
    )


# --- messages moving between tickets ----------------------------------------------------


def record_message_moved(
    message: Message,
    source: Ticket,
    target: Ticket,
    *,
    actor: User | None,
    via: str,
    at: datetime | None = None,
) -> tuple[Event, Event]:
    """A message moved from ``source`` to ``target``: both timelines say where."""
    out = record_field_change(
        source, "message_moved", message.pk, target.number, actor=actor, via=via, at=at
    )
    into = record_field_change(
        target, "message_moved_in", source.number, message.pk, actor=actor, via=via, at=at
    )
    return out, into


def record_message_meta(
    ticket: Ticket,
    message: Message,
    old: dict[str, Any],
    new: dict[str, Any],
    *,
    actor: User | None,
    via: str,
) -> Event:
    """Late details of a message (a call's duration and recording): the keys
    that changed, old and new. Touched, not an edit rules should answer."""
    return _note_only(
        ticket,
        event_row(
            ticket,
            kind=EventKind.FIELD,
            actor=actor,
            via=via,
            field="message_meta",
            old=json.dumps(old, sort_keys=True, default=str),
            new=json.dumps(new, sort_keys=True, default=str),
            meta={"message_id": message.pk, "keys": sorted(new)},
        ),
    )


def record_link(link: TicketLink, *, actor: User | None, via: str) -> tuple[Event, Event]:
    """``link.source`` mentions ``link.target``: both tickets get an event.

    Announced as touched, not as a field change: a link is a note for
    agents, not an edit that rules should answer.
    """
    meta = {"kind": link.kind, "link_id": link.pk}
    pair = (
        (link.source, "link", link.target),
        (link.target, "linked_from", link.source),
    )
    saved = [
        _note_only(
            ticket,
            event_row(
                ticket,
                kind=EventKind.FIELD,
                actor=actor,
                via=via,
                field=field,
                new=other.number,
                meta=meta,
                at=link.created_at,
            ),
        )
        for ticket, field, other in pair
    ]
    return saved[0], saved[1]


# --- ticket merge -------------------------------------------------------------------


def record_merge(
    record: TicketMerge, *, messages: int, actor: User | None, via: str, at: datetime
) -> tuple[Event, Event]:
    """``record.source`` went into ``record.target`` with this many messages."""
    meta = {"merge": record.pk}
    into_target = record_field_change(
        record.target,
        "merged_in",
        record.source.number,
        None,
        actor=actor,
        via=via,
        at=at,
        meta={**meta, "messages": messages},
    )
    from_source = record_field_change(
        record.source,
        "merged_into",
        None,
        record.target.number,
        actor=actor,
        via=via,
        at=at,
        meta=meta,
    )
    return into_target, from_source


def record_merge_undone(
    record: TicketMerge, *, messages: int, actor: User | None, via: str, at: datetime
) -> tuple[Event, Event]:
    """The merge was undone; ``messages`` went back to the source."""
    meta = {"merge": record.pk, "messages": messages}
    on_source = record_field_change(
        record.source,
        "merged_into_undone",
        record.target.number,
        None,
        actor=actor,
        via=via,
        at=at,
        meta=meta,
    )
    on_target = record_field_change(
        record.target,
        "merged_in_undone",
        record.source.number,
        None,
        actor=actor,
        via=via,
        at=at,
        meta=meta,
    )
    return on_source, on_target
