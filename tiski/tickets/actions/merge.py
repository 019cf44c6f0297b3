"""Merging one ticket into another, and undoing it exactly.

`merge_tickets` and `undo_ticket_merge` are ticket actions: one
transaction, one TicketChange per ticket. Every event goes through
`tickets.events`, every change of the target through the other actions.

What a merge of ``source`` into ``target`` does:

- Every message of the source except its system messages moves to the
  target, attachments and all. Messages keep their times, so the target's
  conversation interleaves them in the order they were written, and keep
  their Message-IDs, so email replies to the source's thread find them
  on the target. Each moved message remembers ``meta["merged_from"]``.
- The source's requester and CCs become CCs of the target (they were in
  that conversation and keep getting its replies); the source's tags join
  the target. Both through the normal actions, so both write events.
- The target's ``last_customer_message_at`` / ``last_agent_reply_at`` move
  forward if a moved message is newer; ``first_agent_reply_at`` and the
  other report stamps stay the target's own.
- The source gets the system message "Merged into #N" and is closed
  straight away (not solved): a merged ticket is finished and read-only,
  nobody is waiting for an answer on it, and a closed ticket cannot be
  changed by accident, so what undo has to restore stays as it was. The
  status event carries ``meta["merge"]`` so reports can leave it out of
  resolution figures. The target gets "#M was merged into this ticket".
- Moved messages are not announced as new messages: the email, rules and
  routing handlers must not act on them again (a public reply would be
  mailed twice).

Undo moves back exactly the rows the merge moved that are still on the
target, takes away the CCs and tags the merge added, puts back the
timestamps it moved forward (unless something newer has set them since),
and reopens the source with the status it had. Whatever reached the
target after the merge stays there.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from tiski.core import desk
from tiski.customers.models import Contact

from .. import events
from ..models import (
    UNSOLVED_STATUSES,
    Message,
    MessageKind,
    Status,
    Ticket,
    TicketMerge,
)
from .checks import check_can_see
from .fields import add_ccs, apply_tags, update_ticket
from .messages import add_message
from .unit import ticket_action

if TYPE_CHECKING:
    from tiski.accounts.models import User

# A merged ticket's target may itself be merged later (#1 into #2, then #2
# into #3); threading follows such chains this far.
MAX_CHAIN = 10
# Target fields a merge may move forward, from messages of these kinds.
_TARGET_STAMPS = {
    "last_customer_message_at": MessageKind.CUSTOMER,
    "last_agent_reply_at": MessageKind.PUBLIC,
}


# --- reads --------------------------------------------------------------------


def active_merge_of(ticket: Ticket) -> TicketMerge | None:
    """The merge that took this ticket away, if it is not undone."""
    return (
        TicketMerge.objects.filter(source=ticket, undone_at__isnull=True)
        .select_related("target")
        .first()
    )


def merges_for(ticket: Ticket) -> list[TicketMerge]:
    """Every merge this ticket took part in, newest first, for the ticket page."""
    from django.db.models import Q

    # Prefetched, not joined: most tickets were never merged, and a query
    # joining two tickets and two users costs more to build than to run.
    return list(
        TicketMerge.objects.filter(Q(source=ticket) | Q(target=ticket))
        .prefetch_related("source", "target", "actor", "undone_by")
        .order_by("-created_at", "-id")[:20]
    )


def merged_targets(ticket_ids: Iterable[int]) -> dict[int, int]:
    """For each ticket here that was merged away: the ticket its conversation is on now.

    Tickets never merged (or whose merge was undone) are left out. Chains
    are followed, so a reply to #1 reaches #3 when #1 went into #2 and #2
    into #3. One query per step of the longest chain.
    """
    ids = set(ticket_ids)
    if not ids:
        return {}
    result = dict(
        TicketMerge.objects.filter(source_id__in=ids, undone_at__isnull=True).values_list(
            "source_id", "target_id"
        )
    )
    frontier = set(result.values())
    for _step in range(MAX_CHAIN):
        if not frontier:
            break
        step = dict(
            TicketMerge.objects.filter(source_id__in=frontier, undone_at__isnull=True).values_list(
                "source_id", "target_id"
            )
        )
        if not step:
            break
        result = {source: step.get(target, target) for source, target in result.items()}
        frontier = set(step.values())
    return result


def merge_candidates(user: User, ticket: Ticket, limit: int = 10) -> list[Ticket]:
    """The requester's other unsolved tickets this agent sees: the usual merge targets."""
    return list(
        Ticket.objects.visible_to(user)
        .unsolved()
        .filter(requester_id=ticket.requester_id)
        .exclude(pk=ticket.pk)
        .select_related("assignee")
        .order_by("-updated_at", "-id")[:limit]
    )


# --- checks -------------------------------------------------------------------


def check_can_merge(user: User | None, source: Ticket, target: Ticket) -> None:
    """May ``user`` merge ``source`` into ``target`` now? Raises if not."""
    if user is not None:
        # Merging moves public replies and changes who gets the target's mail.
        if not user.can_reply_publicly:
            raise PermissionDenied(_("Light agents cannot merge tickets."))
        check_can_see(user, source)
        check_can_see(user, target)
    if source.pk == target.pk:
        raise ValidationError(_("A ticket cannot be merged into itself."))
    onward = active_merge_of(target)
    if onward is not None:
        raise ValidationError(
            _("Ticket #%(number)s was merged into #%(target)s: merge into that ticket instead.")
            % {"number": target.number, "target": onward.target.number}
        )
    earlier = active_merge_of(source)
    if earlier is not None:
        raise ValidationError(
            _("Ticket #%(number)s is already merged into #%(target)s.")
            % {"number": source.number, "target": earlier.target.number}
        )
    for ticket in (source, target):
        if ticket.status == Status.CLOSED:
            raise ValidationError(
                _("Ticket #%(number)s is closed and cannot be merged.") % {"number": ticket.number}
            )
    if source.children.filter(status__in=UNSOLVED_STATUSES).exists():
        raise ValidationError(
            _("Ticket #%(number)s has open child tickets: solve or move them first.")
            % {"number": source.number}
        )


def check_can_undo(user: User | None, record: TicketMerge) -> None:
    if user is not None:
        if not user.can_reply_publicly:
            raise PermissionDenied(_("Light agents cannot merge tickets."))
        check_can_see(user, record.source)
        check_can_see(user, record.target)
    if record.undone_at is not None:
        raise ValidationError(_("This merge was already undone."))
    onward = active_merge_of(record.target)
    if onward is not None:
        raise ValidationError(
            _("Ticket #%(number)s was merged into #%(target)s since: undo that merge first.")
            % {"number": record.target.number, "target": onward.target.number}
        )
    if record.target.status == Status.CLOSED:
        raise ValidationError(
            _("Ticket #%(number)s is closed, so the merge can no longer be undone.")
            % {"number": record.target.number}
        )


# --- writes ------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _parse(value: str | None) -> datetime | None:
    return parse_datetime(value) if value else None


def _lock(*tickets: Ticket) -> dict[int, Ticket]:
    # Always in id order, so two merges of the same pair cannot deadlock.
    ids = sorted({t.pk for t in tickets})
    return {t.pk: t for t in Ticket.objects.select_for_update().filter(pk__in=ids).order_by("pk")}


@ticket_action
def merge_tickets(source: Ticket, target: Ticket, *, actor: User | None, via: str) -> TicketMerge:
    """Merge ``source`` into ``target``: its conversation moves over and it is closed.

    Checks (`check_can_merge`) that the actor sees both, that neither is
    closed or merged away, and that they differ. What moves, and why the
    source is closed rather than solved, is in this module's docstring; the
    returned record is what `undo_ticket_merge` needs.
    """
    locked = _lock(source, target)
    source, target = locked[source.pk], locked[target.pk]
    check_can_merge(actor, source, target)
    now = timezone.now()
    try:
        with transaction.atomic():
            record = TicketMerge.objects.create(
                source=source,
                target=target,
                actor=actor,
                via=via,
                created_at=now,
                source_before={
                    "status": source.status,
                    "status_changed_at": _iso(source.status_changed_at),
                    "solved_at": _iso(source.solved_at),
                    "closed_at": _iso(source.closed_at),
                },
            )
    except IntegrityError as exc:  # a colleague merged it a moment ago
        raise ValidationError(
            _("Ticket #%(number)s is already merged.") % {"number": source.number}
        ) from exc

    messages = list(source.messages.exclude(kind=MessageKind.SYSTEM).order_by("created_at", "id"))
    moved_messages: list[list[Any]] = []
    for message in messages:
        moved_messages.append([message.pk, message.meta.get("merged_from")])
        message.ticket = target
        message.meta = {**message.meta, "merged_from": source.number}
    Message.objects.bulk_update(messages, ["ticket", "meta"], batch_size=500)

    target_before: dict[str, list[str | None]] = {}
    stamp_fields: list[str] = []
    for field, kind in _TARGET_STAMPS.items():
        newest = max((m.created_at for m in messages if m.kind == kind), default=None)
        current = getattr(target, field)
        if newest is not None and (current is None or newest > current):
            target_before[field] = [_iso(current), _iso(newest)]
            setattr(target, field, newest)
            stamp_fields.append(field)
    target.updated_at = max(target.updated_at, now)
    target.save(update_fields=[*stamp_fields, "updated_at"])

    target_cc_ids = set(target.ccs.values_list("pk", flat=True))
    people = [source.requester, *source.ccs.order_by("pk")]
    new_ccs = [
        person
        for person in dict.fromkeys(people)
        if person.pk != target.requester_id and person.pk not in target_cc_ids
    ]
    if new_ccs:
        add_ccs(target, new_ccs, actor=actor, via=via)
    source_tags = set(source.tags.values_list("name", flat=True))
    new_tags = sorted(source_tags - set(target.tags.values_list("name", flat=True)))
    if new_tags:
        apply_tags(target, add=new_tags, remove=(), actor=actor, via=via, at=now)

    record.moved = {
        "messages": moved_messages,
        "ccs": [person.pk for person in new_ccs],
        "tags": new_tags,
    }
    record.target_before = target_before
    record.save(update_fields=["moved", "target_before"])

    event_meta = {"merge": record.pk}
    events.record_merge(record, messages=len(moved_messages), actor=actor, via=via, at=now)
    # Stored texts are in the desk's language, like every other system text.
    with translation.override(desk.default_language()):
        add_message(
            target,
            kind=MessageKind.SYSTEM,
            actor=actor,
            via=via,
            text=_("Ticket #%(number)s was merged into this ticket.") % {"number": source.number},
            meta={"ticket_merge": record.pk, "merged_in": source.number},
            created_at=now,
        )
        add_message(
            source,
            kind=MessageKind.SYSTEM,
            actor=actor,
            via=via,
            text=_("Merged into ticket #%(number)s.") % {"number": target.number},
            meta={"ticket_merge": record.pk, "merged_into": target.number},
            created_at=now,
        )
    update_ticket(source, actor=actor, via=via, status=Status.CLOSED, at=now, event_meta=event_meta)
    return record


@ticket_action
def undo_ticket_merge(record: TicketMerge, *, actor: User | None, via: str) -> TicketMerge:
    """Move back exactly what the merge moved and reopen the source with its old status."""
    record = TicketMerge.objects.select_for_update().get(pk=record.pk)
    locked = _lock(record.source, record.target)
    source, target = locked[record.source_id], locked[record.target_id]
    record.source, record.target = source, target
    check_can_undo(actor, record)
    now = timezone.now()
    event_meta = {"merge": record.pk}

    pairs = record.moved.get("messages", [])
    back = {m.pk: m for m in Message.objects.filter(pk__in=[p for p, _x in pairs], ticket=target)}
    returned = []
    for pk, merged_from_before in pairs:
        message = back.get(pk)
        if message is None:  # moved on by hand since: it stays where it is now
            continue
        meta = dict(message.meta)
        if merged_from_before is None:
            meta.pop("merged_from", None)
        else:
            meta["merged_from"] = merged_from_before
        message.ticket, message.meta = source, meta
        returned.append(message)
    Message.objects.bulk_update(returned, ["ticket", "meta"], batch_size=500)

    ccs = list(
        Contact.objects.filter(pk__in=record.moved.get("ccs", []), cc_tickets=target).order_by("pk")
    )
    if ccs:
        target.ccs.remove(*ccs)
        events.record_ccs(target, removed=ccs, actor=actor, via=via, at=now, meta=event_meta)
    if record.moved.get("tags"):
        apply_tags(target, add=(), remove=record.moved["tags"], actor=actor, via=via, at=now)
    stamp_fields = []
    for field, (before, after) in record.target_before.items():
        # Moved back only if nothing newer set it after the merge.
        if _iso(getattr(target, field)) == after:
            setattr(target, field, _parse(before))
            stamp_fields.append(field)
    target.updated_at = max(target.updated_at, now)
    target.save(update_fields=[*stamp_fields, "updated_at"])

    # The source is closed, which update_ticket rightly refuses to change:
    # reopening it is this function's own business, with its own event.
    before = record.source_before
    old_status = before.get("status") or Status.OPEN
    source.status = old_status
    source.status_changed_at = now
    source.solved_at = _parse(before.get("solved_at"))
    source.closed_at = _parse(before.get("closed_at"))
    source.updated_at = max(source.updated_at, now)
    source.save(
        update_fields=["status", "status_changed_at", "solved_at", "closed_at", "updated_at"]
    )
    events.record_status_change(
        source, Status.CLOSED, old_status, actor=actor, via=via, at=now, meta=event_meta
    )
    events.record_merge_undone(record, messages=len(returned), actor=actor, via=via, at=now)
    record.undone_at = now
    record.undone_by = actor
    record.save(update_fields=["undone_at", "undone_by"])
    return record
