"""Changing many tickets at once, and undoing that exactly.

`bulk_update_tickets`, `bulk_merge_tickets` and `undo_bulk_change` are
the public actions; the ready-answer form lives with the macros and
hands its reply in as ``per_ticket``. Every ticket is changed through the
ordinary actions, all in one unit of work, so each ticket still gets its
events and exactly one announced change, and the after-change handlers run
once per ticket. A ticket that cannot take the change (closed, open
children, an assignee outside a restricted team) is skipped with a reason
before anything is written, instead of failing the whole batch half-way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import changes
from ..models import (
    BulkChange,
    BulkChangeKind,
    Status,
    Tag,
    Ticket,
    TicketMerge,
    TicketType,
    Via,
)
from .checks import check_assignable, check_can_solve
from .fields import check_required_fields, set_tags, update_ticket
from .merge import check_can_merge, merge_tickets, undo_ticket_merge
from .unit import unit_of_work

if TYPE_CHECKING:
    from tiski.accounts.models import User

# The fields a bulk change may set; snapshots keep related rows as ids.
FIELDS = ("status", "priority", "type", "team", "assignee")


def snapshot(ticket: Ticket) -> dict[str, Any]:
    """The bulk-editable state of a ticket, as plain JSON values."""
    return {
        "status": ticket.status,
        "priority": ticket.priority,
        "type": ticket.type_id,
        "team": ticket.team_id,
        "assignee": ticket.assignee_id,
        # Read fresh: a prefetched list would not see tags set a moment ago.
        "tags": sorted(Tag.objects.filter(tickets=ticket).values_list("name", flat=True)),
    }


def problem_with(ticket: Ticket, fields: dict[str, Any], *, via: str = Via.AGENT) -> str | None:
    """Why this ticket cannot take these field values, in a sentence; None if it can."""
    if ticket.status == Status.CLOSED:
        return _("Ticket #%(number)s is closed.") % {"number": ticket.number}
    try:
        status = fields.get("status")
        if status in (Status.SOLVED, Status.CLOSED) and ticket.status not in (
            Status.SOLVED,
            Status.CLOSED,
        ):
            check_can_solve(ticket)
        if status == Status.SOLVED and ticket.status != Status.SOLVED:
            # Custom fields its type requires, as update_ticket would refuse.
            check_required_fields(ticket, fields.get("type", ticket.type), {}, via=via)
        if "team" in fields or "assignee" in fields:
            check_assignable(
                fields.get("assignee", ticket.assignee), fields.get("team", ticket.team)
            )
    except ValidationError as exc:
        return _("Ticket #%(number)s: %(reason)s") % {
            "number": ticket.number,
            "reason": " ".join(exc.messages),
        }
    return None


def _wanted_tags(current: Iterable[str], add: Iterable[str], remove: Iterable[str]) -> set[str]:
    added = {Tag.normalise(n) for n in add if n.strip()}
    removed = {Tag.normalise(n) for n in remove if n.strip()}
    return ({Tag.normalise(n) for n in current} | added) - removed


def update(
    tickets: Iterable[Ticket],
    *,
    actor: User | None,
    via: str,
    fields: dict[str, Any],
    add_tags: Iterable[str] = (),
    remove_tags: Iterable[str] = (),
    per_ticket: Callable[[Ticket], None] | None = None,
    kind: str = BulkChangeKind.UPDATE,
) -> BulkChange:
    """Set ``fields`` and add/remove tags on every ticket; ``per_ticket`` does more to each.

    The caller runs this inside a unit of work (`bulk_update_tickets` does).
    Tickets the record lists are the ones that really changed.
    """
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise ValueError(f"a bulk change cannot set {', '.join(sorted(unknown))}")
    add_tags, remove_tags = list(add_tags), list(remove_tags)
    record = BulkChange.objects.create(actor=actor, via=via, kind=kind)
    meta = {"bulk": record.pk}
    entries: dict[str, dict] = {}
    skipped: dict[str, str] = {}
    for ticket in tickets:
        reason = problem_with(ticket, fields, via=via)
        if reason:
            skipped[str(ticket.pk)] = reason
            continue
        before = snapshot(ticket)
        if fields:
            update_ticket(ticket, actor=actor, via=via, event_meta=meta, **fields)
        if add_tags or remove_tags:
            wanted = _wanted_tags(before["tags"], add_tags, remove_tags)
            if wanted != set(before["tags"]):
                set_tags(ticket, wanted, actor=actor, via=via, event_meta=meta)
        if per_ticket is not None:
            per_ticket(ticket)
        after = snapshot(ticket)
        if after != before or per_ticket is not None:
            entries[str(ticket.pk)] = {"number": ticket.number, "before": before, "after": after}
    record.tickets = entries
    record.skipped = skipped
    record.save(update_fields=["tickets", "skipped"])
    return record


def merge(sources: Iterable[Ticket], target: Ticket, *, actor: User | None, via: str) -> BulkChange:
    """Merge every source into ``target``; each through the ticket merge with its exact undo."""
    record = BulkChange.objects.create(actor=actor, via=via, kind=BulkChangeKind.MERGE)
    merges: list[int] = []
    skipped: dict[str, str] = {}
    for source in sources:
        if source.pk == target.pk:
            continue
        try:
            check_can_merge(actor, source, target)
        except (ValidationError, PermissionDenied) as exc:
            reason = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            skipped[str(source.pk)] = reason
            continue
        merges.append(merge_tickets(source, target, actor=actor, via=via).pk)
    record.merges = merges
    record.skipped = skipped
    record.save(update_fields=["merges", "skipped"])
    return record


def check_can_undo(user: User | None, record: BulkChange) -> None:
    if record.undone_at is not None:
        raise ValidationError(_("This bulk change was already undone."))
    if user is not None and not user.is_admin and record.actor_id != user.pk:
        raise PermissionDenied(
            _("Only the agent who made a bulk change, or an admin, can undo it.")
        )


def _related(field: str, pk: int | None) -> Any:
    """The object a snapshot id stands for; None when it is gone."""
    if pk is None:
        return None
    from tiski.accounts.models import Team, User

    model = {"type": TicketType, "team": Team, "assignee": User}[field]
    return model.objects.filter(pk=pk).first()


def _restore_values(entry: dict, now: dict) -> tuple[dict[str, Any], set[str]]:
    """The fields to put back, and the wanted tags: only what still is as the bulk left it.

    A field someone changed again after the bulk change keeps its newer value.
    """
    before, after = entry["before"], entry["after"]
    restore: dict[str, Any] = {}
    for field in FIELDS:
        if before[field] != after[field] and now[field] == after[field]:
            value = before[field]
            related = field in ("type", "team", "assignee")
            restore[field] = _related(field, value) if related else value
    added = set(after["tags"]) - set(before["tags"])
    removed = set(before["tags"]) - set(after["tags"])
    tags = (set(now["tags"]) - added) | removed
    return restore, tags


def undo(record: BulkChange, *, actor: User | None, via: str) -> tuple[BulkChange, list[str]]:
    """Put back the old values of every ticket the bulk change touched and the undoer sees.

    Merges are undone through the ticket merge's own undo, newest first.
    Returns the record and, for each ticket that could not take its old
    values any more, the reason (also kept in the record's ``skipped``).
    """
    record = BulkChange.objects.select_for_update().get(pk=record.pk)
    check_can_undo(actor, record)
    meta = {"bulk_undo": record.pk}
    skipped: dict[str, str] = {}
    for merge_record in TicketMerge.objects.filter(pk__in=record.merges).order_by("-pk"):
        if merge_record.undone_at is None:
            try:
                undo_ticket_merge(merge_record, actor=actor, via=via)
            except (ValidationError, PermissionDenied) as exc:
                reason = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
                skipped[str(merge_record.source_id)] = reason
    ids = [int(pk) for pk in record.tickets]
    visible = Ticket.objects.all() if actor is None else Ticket.objects.visible_to(actor)
    tickets = visible.select_related("type", "team", "assignee").in_bulk(ids)
    for key, entry in record.tickets.items():
        ticket = tickets.get(int(key))
        if ticket is None:
            skipped[key] = _("Ticket #%(number)s is not visible to you.") % {
                "number": entry["number"]
            }
            continue
        now = snapshot(ticket)
        restore, tags = _restore_values(entry, now)
        reason = problem_with(ticket, restore, via=via)
        if reason:
            skipped[key] = reason
            continue
        if restore:
            update_ticket(ticket, actor=actor, via=via, event_meta=meta, **restore)
        if tags != set(now["tags"]):
            set_tags(ticket, tags, actor=actor, via=via, event_meta=meta)
    record.undone_at = timezone.now()
    record.undone_by = actor
    record.skipped = {**record.skipped, **{f"undo:{k}": v for k, v in skipped.items()}}
    record.save(update_fields=["undone_at", "undone_by", "skipped"])
    return record, list(skipped.values())


# --- the public actions -------------------------------------------------------------


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
    ticket, bulk forms in one call.
    """
    with changes.batched(), unit_of_work():
        return update(
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
    with changes.batched(), unit_of_work():
        return merge(sources, target, actor=actor, via=via)


def undo_bulk_change(
    record: BulkChange, *, actor: User | None, via: str
) -> tuple[BulkChange, list[str]]:
    """Put back the old values a bulk change replaced; returns why any ticket was left."""
    with changes.batched(), unit_of_work():
        return undo(record, actor=actor, via=via)
