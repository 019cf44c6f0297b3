"""Changing a ticket's fields, tags and CCs."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from tiski.core.bulk import update_rows
from tiski.customers.models import Contact

from .. import custom_fields, events
from ..models import PRIORITY_RANK, UNSOLVED_STATUSES, Event, Priority, Status, Tag, Ticket, Via
from .checks import (
    check_assignable,
    check_can_override_children,
    check_can_solve,
    check_not_closed,
    open_children,
)
from .rows import insert_all
from .unit import ticket_action

if TYPE_CHECKING:
    from tiski.accounts.models import User

# Fields an agent, rule or API may change with update_ticket.
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


@ticket_action
def update_ticket(
    ticket: Ticket,
    *,
    actor: User | None,
    via: str,
    at: datetime | None = None,
    event_meta: dict | None = None,
    override_open_children: bool = False,
    fields: dict[str, Any] | None = None,
    **changes: Any,
) -> list[Event]:
    """Change ticket fields, writing one event per field that really changed.

    ``fields``: custom field values by key, raw (cleaned here; "" or None
    clears one). Solving by an agent or through the API needs the fields
    its type requires to solve.

    ``override_open_children``: an admin solves a parent whose child tickets
    are still open; the override is recorded as an event naming them.

    `update_tickets` is the same change for many tickets at once; both share
    `check_changes` and `plan_changes`, so they write the same rows.
    """
    _refuse_unknown(changes)
    check_not_closed(ticket)
    was_open = ticket.status not in (Status.SOLVED, Status.CLOSED)
    now = at or timezone.now()
    overridden = check_changes(
        ticket, changes, actor=actor, override_open_children=override_open_children
    )
    cleaned = custom_fields.clean_values(fields or {})
    status = changes.get("status")
    if status == Status.SOLVED and ticket.status != Status.SOLVED:
        check_required_fields(ticket, changes.get("type", ticket.type), cleaned, via=via)

    written: list[Event] = []
    if overridden:
        written.append(
            events.record_solve_override(ticket, overridden, actor=actor, via=via, at=now)
        )
    update_fields: set[str] = set()
    # Values first: "set the product group, solved" reads in the order it was done.
    for field, old, new in custom_fields.write_values(ticket, cleaned):
        written.append(
            events.record_custom_field(
                ticket, field.key, old, new, actor=actor, via=via, at=now, meta=event_meta
            )
        )
        ticket.updated_at = max(ticket.updated_at, now)
        update_fields.add("updated_at")
    rows, planned = plan_changes(ticket, changes, actor=actor, via=via, now=now, meta=event_meta)
    for row in rows:
        row.save()
        events.announce(row)
    written += rows
    update_fields |= planned
    if update_fields:
        ticket.updated_at = max(ticket.updated_at, now)
        update_fields.add("updated_at")
        ticket.save(update_fields=sorted(update_fields))
    if "status" in update_fields and was_open:
        note_last_child_solved(ticket, actor=actor, via=via)
    return written


def _refuse_unknown(changes: dict[str, Any]) -> None:
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"update_ticket cannot change {', '.join(sorted(unknown))}")


def check_changes(
    ticket: Ticket,
    changes: dict[str, Any],
    *,
    actor: User | None,
    override_open_children: bool = False,
    children: Callable[[Ticket], list[int]] = open_children,
) -> list[int]:
    """Refuse a change the ticket cannot take; returns the open child
    tickets an admin's override solves it past (numbers), usually none.

    ``children``: the ticket's open child tickets, when the caller read
    them for many tickets at once.
    """
    new_team = changes.get("team", ticket.team)
    new_assignee = changes.get("assignee", ticket.assignee)
    if "team" in changes or "assignee" in changes:
        check_assignable(new_assignee, new_team)
    status = changes.get("status")
    if status is not None and status not in Status.values:
        raise ValidationError(_("Unknown status %(status)s.") % {"status": status})
    if "priority" in changes and changes["priority"] not in Priority.values:
        raise ValidationError(_("Unknown priority %(p)s.") % {"p": changes["priority"]})
    overridden: list[int] = []
    if status in (Status.SOLVED, Status.CLOSED) and ticket.status not in (
        Status.SOLVED,
        Status.CLOSED,
    ):
        numbers = children(ticket)
        if override_open_children and numbers:
            check_can_override_children(actor)
            overridden = numbers
        else:
            check_can_solve(ticket, numbers)
    if changes.get("parent") is not None and changes["parent"].pk == ticket.pk:
        raise ValidationError(_("A ticket cannot be its own parent."))
    return overridden


def plan_changes(
    ticket: Ticket,
    changes: dict[str, Any],
    *,
    actor: User | None,
    via: str,
    now: datetime,
    meta: dict | None,
) -> tuple[list[Event], set[str]]:
    """Set the checked changes on ``ticket`` in memory: the unsaved events
    (one per field that really changed, in order) and the columns to save
    (``updated_at`` left to the caller)."""
    rows: list[Event] = []
    update_fields: set[str] = set()
    for field, new in changes.items():
        old = getattr(ticket, field)
        if events.display(old) == events.display(new):
            continue
        setattr(ticket, field, new)
        update_fields.add(field)
        rows.append(
            events.field_change_row(
                ticket, field, old, new, actor=actor, via=via, at=now, meta=meta
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
        rows.append(
            events.field_change_row(
                ticket, "status", Status.NEW, Status.OPEN, actor=actor, via=via, at=now
            )
        )
        ticket.status = Status.OPEN
        ticket.status_changed_at = now
        update_fields.update({"status", "status_changed_at"})
    return rows, update_fields


@dataclass
class ManyUpdate:
    """What `update_tickets` did: the events written per ticket id (an empty
    list when nothing changed), and the tickets it refused, with the error
    `update_ticket` would have raised for each."""

    events: dict[int, list[Event]] = dataclasses.field(default_factory=dict)
    refused: dict[int, ValidationError | PermissionDenied] = dataclasses.field(default_factory=dict)


@ticket_action
def update_tickets(
    tickets: Sequence[Ticket],
    *,
    actor: User | None,
    via: str,
    at: datetime | None = None,
    event_meta: dict | None = None,
    **changes: Any,
) -> ManyUpdate:
    """`update_ticket` with the same ``changes`` for many tickets, in a few statements.

    For work over thousands of tickets (a time rule solving a backlog): the
    same checks, events, ticket columns and one `TicketChange` per ticket as
    calling `update_ticket` on each in order, but the events are inserted
    in one statement and the tickets updated in one per set of changed
    columns. A ticket that may not take the change is refused (left as it
    was, the reason in ``refused``) and the others still change. Custom
    field values and the admin's override of open child tickets are not
    offered here; use `update_ticket`. The ``tickets`` objects are changed
    in memory as `update_ticket` changes its one.
    """
    _refuse_unknown(changes)
    now = at or timezone.now()
    result = ManyUpdate()
    status = changes.get("status")
    solving = status in (Status.SOLVED, Status.CLOSED)
    done = (Status.SOLVED, Status.CLOSED)
    # Read once for all; kept up to date as earlier tickets of the batch are
    # solved, as the one-by-one path would see them.
    children = _open_children_of([t.pk for t in tickets if t.status not in done]) if solving else {}
    assignable = _memo(check_assignable)
    planned: list[tuple[Ticket, list[Event], set[str], bool]] = []
    for ticket in tickets:
        try:
            check_not_closed(ticket)
            if "team" in changes or "assignee" in changes:
                assignable(
                    changes.get("assignee", ticket.assignee), changes.get("team", ticket.team)
                )
            check_changes(
                ticket,
                {k: v for k, v in changes.items() if k not in ("team", "assignee")},
                actor=actor,
                children=lambda t: [number for number, _child in children.get(t.pk, [])],
            )
            if status == Status.SOLVED and ticket.status != Status.SOLVED:
                check_required_fields(ticket, changes.get("type", ticket.type), {}, via=via)
        except (ValidationError, PermissionDenied) as exc:
            result.refused[ticket.pk] = exc
            continue
        was_open = ticket.status not in done
        rows, update_fields = plan_changes(
            ticket, changes, actor=actor, via=via, now=now, meta=event_meta
        )
        if update_fields:
            ticket.updated_at = max(ticket.updated_at, now)
            update_fields.add("updated_at")
        if ticket.parent_id is not None and ticket.status in done and was_open:
            siblings = children.get(ticket.parent_id)
            if siblings:
                children[ticket.parent_id] = [c for c in siblings if c[1] != ticket.pk]
        planned.append((ticket, rows, update_fields, was_open))
        result.events[ticket.pk] = rows
    insert_all(Event, [row for _t, rows, _f, _o in planned for row in rows])
    by_columns: dict[tuple[str, ...], list[Ticket]] = {}
    for ticket, rows, update_fields, _was_open in planned:
        for row in rows:
            events.announce(row)
        if update_fields:
            by_columns.setdefault(tuple(sorted(update_fields)), []).append(ticket)
    for columns, group in by_columns.items():
        update_rows(Ticket, group, columns)
    for ticket, _rows, update_fields, was_open in planned:
        if "status" in update_fields and was_open:
            note_last_child_solved(ticket, actor=actor, via=via)
    return result


def _open_children_of(ticket_ids: list[int]) -> dict[int, list[tuple[int, int]]]:
    """Per parent id: its unsolved child tickets as (number, id), by number."""
    found: dict[int, list[tuple[int, int]]] = {}
    if not ticket_ids:
        return found
    for parent_id, number, pk in (
        Ticket.objects.filter(parent_id__in=ticket_ids, status__in=UNSOLVED_STATUSES)
        .order_by("number")
        .values_list("parent_id", "number", "pk")
    ):
        found.setdefault(parent_id, []).append((number, pk))
    return found


def _memo(check: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
    """``check(assignee, team)`` asked once per pair: a rule assigning a
    thousand tickets to one agent reads the team's members once."""
    seen: dict[tuple[Any, Any], Exception | None] = {}

    def checked(assignee: Any, team: Any) -> None:
        key = (getattr(assignee, "pk", None), getattr(team, "pk", None))
        if key not in seen:
            try:
                check(assignee, team)
                seen[key] = None
            except (ValidationError, PermissionDenied) as exc:
                seen[key] = exc
        if seen[key] is not None:
            raise seen[key]  # type: ignore[misc]

    return checked


def check_required_fields(ticket: Ticket, ticket_type: Any, cleaned: dict, *, via: str) -> None:
    """People solving a ticket fill in what its type requires; rules and
    channels solve without asking (nobody there could answer)."""
    if via not in (Via.AGENT, Via.API):
        return
    values = custom_fields.values_of(ticket)
    values.update({field.key: value for field, value in cleaned.items()})
    probe = Ticket(type=ticket_type)
    missing = custom_fields.missing_to_solve(probe, values)
    if missing:
        raise ValidationError(
            _("Fill in %(fields)s before solving the ticket.")
            % {"fields": ", ".join(field.label for field in missing)},
            code="required_to_solve",
        )


def note_last_child_solved(child: Ticket, *, actor: User | None, via: str) -> None:
    """A child just solved was its parent's last open one: the parent gets an
    event rules can answer ("all children solved") and its assignee a notice."""
    if child.parent_id is None or child.status not in (Status.SOLVED, Status.CLOSED):
        return
    parent = Ticket.objects.filter(pk=child.parent_id).first()
    if parent is None or parent.status == Status.CLOSED or open_children(parent):
        return
    events.record_children_solved(parent, actor=actor, via=via)


def apply_tags(
    ticket: Ticket,
    *,
    add: Iterable[str],
    remove: Iterable[str],
    actor: User | None,
    via: str,
    at: datetime | None = None,
    event_meta: dict | None = None,
) -> list[Event]:
    """Add and remove tags with their events, inside the caller's action.

    The package's own building block (create, merge): it neither checks
    the ticket nor touches ``updated_at``; outside the package use
    `set_tags`, `add_tags` or `retag`.
    """
    current = set(ticket.tags.values_list("name", flat=True))
    added = sorted({Tag.normalise(n) for n in add if n.strip()} - current)
    removed = sorted({Tag.normalise(n) for n in remove} & current)
    for name in added:
        tag, _created = Tag.objects.get_or_create(name=name[:60])
        ticket.tags.add(tag)
    if removed:
        ticket.tags.remove(*Tag.objects.filter(name__in=removed))
    return events.record_tags(
        ticket, added=added, removed=removed, actor=actor, via=via, at=at, meta=event_meta
    )


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
    written = apply_tags(
        ticket,
        add=wanted - current,
        remove=current - wanted,
        actor=actor,
        via=via,
        event_meta=event_meta,
    )
    if written:
        ticket.updated_at = timezone.now()
        ticket.save(update_fields=["updated_at"])
    return written


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
    written = apply_tags(ticket, add=names, remove=(), actor=actor, via=via, event_meta=event_meta)
    if written:
        ticket.updated_at = timezone.now()
        ticket.save(update_fields=["updated_at"])
    return written


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
    return apply_tags(ticket, add=add, remove=remove, actor=actor, via=via, event_meta=event_meta)


@ticket_action
def add_ccs(
    ticket: Ticket, contacts: Iterable[Contact], *, actor: User | None, via: str
) -> list[Contact]:
    """Copy people on the ticket (email CC); returns the ones newly added."""
    known = set(ticket.ccs.values_list("pk", flat=True)) | {ticket.requester_id}
    new = [c for c in contacts if c.pk not in known]
    if new:
        ticket.ccs.add(*new)
        events.record_ccs(ticket, added=new, actor=actor, via=via)
    return new
