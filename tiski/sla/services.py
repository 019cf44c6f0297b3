"""Keeping every ticket's SLA clocks current, and announcing near-breaches.

`refresh_tickets` reads a chunk of tickets' histories in a handful of
queries (whatever the chunk's size), asks the pure `clock` module what
their clocks say, and writes only what changed: one TicketSla row per
ticket, the SlaTarget rows reports read, and the ticket's queue sort key
(`queue_due_at`). One ticket (`refresh_ticket_sla`, after every ticket
change) and thousands (after an import) take the same path. The periodic
checker writes the warning and breach events through the ticket actions;
rules hear of them the way they hear of any change, as the ticket's
announced `TicketChange` (``sla_events``), never by a call from here.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from tiski.calendars import BusinessCalendar
from tiski.core.bulk import insert_instances, update_rows
from tiski.core.tasks import enqueue
from tiski.tickets import actions
from tiski.tickets.changes import TicketChange
from tiski.tickets.models import (
    NO_DEADLINE,
    UNSOLVED_STATUSES,
    Event,
    EventKind,
    Message,
    MessageKind,
    Ticket,
)

from .clock import TicketHistory, compute_clocks, next_deadline
from .models import Calendar, SlaPolicy, SlaState, SlaTarget, TicketSla

log = logging.getLogger(__name__)


_MATCH_RELATIONS = ("match_types", "match_teams", "match_organisations")


def _match_ids(policy: SlaPolicy) -> tuple[set[int], set[int], set[int]]:
    """The ids of the types, teams and organisations a policy is limited to.

    Building them asks each relation for a manager, which costs more than
    the rest of the matching; a refresh matches thousands of tickets
    against the same prefetched policies, so the sets made from one
    prefetch are kept on the policy for as long as that prefetch is its
    answer (changing a relation drops the prefetch, and with it these).
    """
    cache = policy.__dict__.get("_prefetched_objects_cache") or {}
    fetched = tuple(cache.get(name) for name in _MATCH_RELATIONS)
    kept = policy.__dict__.get("_tiski_match_ids")
    if kept is not None and all(a is b for a, b in zip(kept[0], fetched, strict=True)):
        return kept[1]
    ids = (
        {t.pk for t in policy.match_types.all()},
        {t.pk for t in policy.match_teams.all()},
        {o.pk for o in policy.match_organisations.all()},
    )
    if all(rows is not None for rows in fetched):
        policy.__dict__["_tiski_match_ids"] = (fetched, ids)
    return ids


def matching_policy(
    ticket: Ticket, policies: list[SlaPolicy] | None = None, *, tags: set[str] | None = None
) -> SlaPolicy | None:
    """The first active policy whose conditions all hold (empty ones match anything).

    ``tags``: the ticket's tag names when the caller has them already.
    """
    if policies is None:
        policies = active_policies()
    for policy in policies:
        if policy.match_priorities and ticket.priority not in policy.match_priorities:
            continue
        if policy.match_channels and ticket.channel not in policy.match_channels:
            continue
        types, teams, orgs = _match_ids(policy)
        if types and ticket.type_id not in types:
            continue
        if teams and ticket.team_id not in teams:
            continue
        if orgs and ticket.requester.organisation_id not in orgs:
            continue
        if policy.match_tags:
            if tags is None:
                tags = set(ticket.tags.values_list("name", flat=True))
            if not tags & set(policy.match_tags):
                continue
        return policy
    return None


def _history(
    ticket: Ticket,
    status_rows: list[tuple[datetime, str, str]],
    message_rows: list[tuple[datetime, str]],
) -> TicketHistory:
    """A ticket's history from its status events and customer/public messages."""
    initial = status_rows[0][1] if status_rows else ticket.status
    statuses = [(ticket.created_at, initial)] + [(at, new) for at, _old, new in status_rows]
    return TicketHistory(
        created_at=ticket.created_at,
        statuses=statuses,
        customer_messages=sorted(at for at, kind in message_rows if kind == MessageKind.CUSTOMER),
        public_replies=sorted(at for at, kind in message_rows if kind == MessageKind.PUBLIC),
    )


def active_policies() -> list[SlaPolicy]:
    return list(
        SlaPolicy.objects.filter(active=True)
        .select_related("calendar")
        .prefetch_related("match_types", "match_teams", "match_organisations")
    )


# Tickets refreshed per round of queries: big enough that an import of years
# of mail costs a handful of queries per few hundred tickets, small enough
# that the id lists stay short statements.
REFRESH_CHUNK = 500


def refresh_tickets(ticket_ids: list[int], now: datetime | None = None) -> None:
    """Refresh many tickets' clocks in a few queries per chunk (the bulk handler)."""
    ids = sorted({int(i) for i in ticket_ids})
    if not ids:
        return
    policies = active_policies()
    now = now or timezone.now()
    for start in range(0, len(ids), REFRESH_CHUNK):
        _refresh_chunk(ids[start : start + REFRESH_CHUNK], policies, now)


def refresh_ticket_sla(
    ticket_id: int, now: datetime | None = None, policies: list[SlaPolicy] | None = None
) -> TicketSla | None:
    """Refresh one ticket's clocks; its TicketSla row, or None if it is gone."""
    if policies is None:
        policies = active_policies()
    return _refresh_chunk([ticket_id], policies, now or timezone.now()).get(ticket_id)


@dataclass
class _Computed:
    """What one ticket's clocks say, ready to be written."""

    policy: SlaPolicy | None
    clocks: list = field(default_factory=list)
    due_at: datetime | None = None
    warn_at: datetime | None = None
    next_kind: str = ""
    paused: bool = False


def _compute(
    ticket: Ticket, policy: SlaPolicy | None, history: TicketHistory, calendars: dict
) -> _Computed:
    if policy is None:
        return _Computed(policy=None)
    if policy.calendar_id not in calendars:
        calendars[policy.calendar_id] = policy.calendar.to_calendar()
    clocks = compute_clocks(
        history, policy.targets_for(ticket.priority), calendars[policy.calendar_id]
    )
    result = _Computed(policy=policy, clocks=clocks)
    nxt = next_deadline(clocks) if ticket.status in UNSOLVED_STATUSES else None
    if nxt is not None:
        result.due_at = nxt.due_at
        # Warn ahead by the policy's margin, but never more than a quarter
        # of the target: a one-hour target is not "near breach" at once.
        margin = min(timedelta(minutes=policy.warn_before_minutes), nxt.target / 4)
        result.warn_at = nxt.due_at - margin
        result.next_kind = nxt.kind
    else:
        result.paused = (
            any(c.running and c.due_at is None for c in clocks)
            and ticket.status in UNSOLVED_STATUSES
        )
    return result


@transaction.atomic
def _refresh_chunk(
    ids: list[int], policies: list[SlaPolicy], now: datetime
) -> dict[int, TicketSla]:
    """Read the chunk's history in five queries, compute, write only what changed."""
    # The lock serialises refreshes of one ticket (a reply and the periodic
    # pass at once); rows are locked in id order, so chunks never deadlock.
    tickets = list(
        Ticket.objects.select_for_update(of=("self",))
        .select_related("requester")
        .filter(pk__in=ids)
        .order_by("pk")
    )
    if not tickets:
        return {}
    ids = [t.pk for t in tickets]
    tags: dict[int, set[str]] | None = None
    if any(p.match_tags for p in policies):
        tags = defaultdict(set)
        for ticket_id, name in Ticket.tags.through.objects.filter(ticket_id__in=ids).values_list(
            "ticket_id", "tag__name"
        ):
            tags[ticket_id].add(name)
    status_rows: dict[int, list[tuple[datetime, str, str]]] = defaultdict(list)
    for ticket_id, at, old, new in (
        Event.objects.filter(ticket_id__in=ids, kind=EventKind.FIELD, field="status")
        .order_by("ticket_id", "created_at", "pk")
        .values_list("ticket_id", "created_at", "old_value", "new_value")
    ):
        status_rows[ticket_id].append((at, old, new))
    message_rows: dict[int, list[tuple[datetime, str]]] = defaultdict(list)
    for ticket_id, at, kind in Message.objects.filter(
        ticket_id__in=ids, kind__in=(MessageKind.CUSTOMER, MessageKind.PUBLIC)
    ).values_list("ticket_id", "created_at", "kind"):
        message_rows[ticket_id].append((at, kind))
    slas = {s.ticket_id: s for s in TicketSla.objects.filter(ticket_id__in=ids)}
    targets: dict[int, list[SlaTarget]] = defaultdict(list)
    for row in SlaTarget.objects.filter(ticket_id__in=ids):
        targets[row.ticket_id].append(row)

    calendars: dict[int, object] = {}
    new_slas: list[TicketSla] = []
    changed_slas: list[TicketSla] = []
    new_targets: list[SlaTarget] = []
    changed_targets: list[SlaTarget] = []
    gone_targets: list[int] = []
    changed_tickets: list[Ticket] = []
    for ticket in tickets:
        policy = matching_policy(
            ticket, policies, tags=tags.get(ticket.pk, set()) if tags else set()
        )
        found = _compute(
            ticket,
            policy,
            _history(ticket, status_rows[ticket.pk], message_rows[ticket.pk]),
            calendars,
        )
        _diff_targets(
            ticket, found, targets[ticket.pk], now, new_targets, changed_targets, gone_targets
        )
        sla = slas.get(ticket.pk)
        if sla is None:
            sla = slas[ticket.pk] = TicketSla(ticket=ticket)
            new_slas.append(sla)
        else:
            changed_slas.append(sla)
        sla.policy = policy
        sla.next_kind = found.next_kind
        sla.next_due_at = found.due_at
        sla.warn_at = found.warn_at
        sla.paused = found.paused
        sla.computed_at = now
        # The queue's sort key is derived data, like an index: stored directly.
        queue_due_at = found.due_at or NO_DEADLINE
        if (ticket.queue_due_at, ticket.sla_warn_at) != (queue_due_at, found.warn_at):
            ticket.queue_due_at, ticket.sla_warn_at = queue_due_at, found.warn_at
            changed_tickets.append(ticket)

    if gone_targets:
        SlaTarget.objects.filter(pk__in=gone_targets).delete()
    insert_instances(SlaTarget, new_targets)
    update_rows(SlaTarget, changed_targets, ["policy", "due_at", "achieved_at", "breached"])
    insert_instances(TicketSla, new_slas)
    update_rows(
        TicketSla,
        changed_slas,
        ["policy", "next_kind", "next_due_at", "warn_at", "paused", "computed_at"],
    )
    update_rows(Ticket, changed_tickets, ["queue_due_at", "sla_warn_at"])
    return slas


def _diff_targets(
    ticket: Ticket,
    found: _Computed,
    existing_rows: list[SlaTarget],
    now: datetime,
    new: list[SlaTarget],
    changed: list[SlaTarget],
    gone: list[int],
) -> None:
    """Which SlaTarget rows (what reports count) to add, change and drop."""
    existing = {(t.kind, t.started_at): t for t in existing_rows}
    keep = set()
    for clock in found.clocks:
        key = (clock.kind, clock.started_at)
        keep.add(key)
        wanted = (found.policy.pk, clock.due_at, clock.achieved_at, clock.breached(now))
        row = existing.get(key)
        if row is None:
            row = SlaTarget(ticket=ticket, kind=clock.kind, started_at=clock.started_at)
            new.append(row)
        elif (row.policy_id, row.due_at, row.achieved_at, row.breached) == wanted:
            continue  # most changes leave most clocks as they were
        else:
            changed.append(row)
        row.policy = found.policy
        row.due_at, row.achieved_at, row.breached = wanted[1:]
    # Clocks that no longer exist (the policy changed, or none matches) are
    # dropped while they run; achieved ones are history and stay.
    gone.extend(
        row.pk for key, row in existing.items() if key not in keep and row.achieved_at is None
    )


# Open tickets recalculated while the admin waits after a policy or calendar
# edit; more than this go to a background task (the page would time out).
RECALCULATE_INLINE = 500


@dataclass(frozen=True)
class Recalculation:
    """What an edit of policies or calendars did to the open tickets' deadlines."""

    tickets: int = 0
    background: bool = False


def open_tickets_under(policy_ids: list[int]) -> list[int]:
    """The unsolved tickets whose clocks these policies set now."""
    return list(
        TicketSla.objects.filter(
            policy_id__in=policy_ids, ticket__status__in=UNSOLVED_STATUSES
        ).values_list("ticket_id", flat=True)
    )


def recalculate_policies(policy_ids: list[int]) -> Recalculation:
    """Recompute the deadlines of the open tickets under these policies.

    Called by the Settings editors after a policy's targets or calendar, or
    a calendar's hours, changed. A few hundred tickets are done at once, in
    the editor's transaction; more in a background task after the commit,
    in the same chunks (`refresh_tickets`), so the admin is not kept waiting.
    """
    ids = open_tickets_under(policy_ids)
    if len(ids) > RECALCULATE_INLINE:
        ids_wanted = sorted(policy_ids)
        # Sent by name: the task's module imports this one.
        transaction.on_commit(
            lambda: enqueue("tiski.sla.recalculate_policy_tickets", ids_wanted)
        )
        return Recalculation(tickets=len(ids), background=True)
    refresh_tickets(ids)
    return Recalculation(tickets=len(ids))


def state_of(ticket: Ticket, now: datetime | None = None) -> str:
    """On track / warning / breached for a ticket row, from its stored sort keys."""
    now = now or timezone.now()
    if ticket.queue_due_at >= NO_DEADLINE or ticket.status not in UNSOLVED_STATUSES:
        return SlaState.NONE
    if now > ticket.queue_due_at:
        return SlaState.BREACHED
    if ticket.sla_warn_at and now >= ticket.sla_warn_at:
        return SlaState.WARNING
    return SlaState.ON_TRACK


def on_ticket_change(change: TicketChange) -> None:
    """TicketChange handler: any change may start, stop or pause a clock."""
    refresh_ticket_sla(change.ticket_id)


def on_ticket_changes(changes: list[TicketChange]) -> None:
    """The bulk form: one refresh for all the tickets (a few queries per 500)."""
    refresh_tickets([change.ticket_id for change in changes])


on_ticket_change.handle_many = on_ticket_changes  # type: ignore[attr-defined]


def check_deadlines(now: datetime | None = None) -> dict[str, int]:
    """Announce near-breaches and breaches once each (run every minute or so).

    Uses the warn_at index, so the pass touches only tickets whose warning
    time has come, however many tickets there are.
    """
    now = now or timezone.now()
    counts = {"sla_warning": 0, "sla_breach": 0}
    due = TicketSla.objects.filter(warn_at__lte=now, ticket__status__in=UNSOLVED_STATUSES)
    for sla in due.select_related("ticket").iterator(chunk_size=500):
        if sla.next_due_at is None:
            continue
        kind = None
        if now > sla.next_due_at and sla.breached_for != sla.next_due_at:
            kind, sla.breached_for = "sla_breach", sla.next_due_at
        elif sla.warned_for != sla.next_due_at and now <= sla.next_due_at:
            kind, sla.warned_for = "sla_warning", sla.next_due_at
        if kind is None:
            continue
        with transaction.atomic():
            sla.save(update_fields=["warned_for", "breached_for"])
            actions.record_sla_event(sla.ticket, kind, due_at=sla.next_due_at, target=sla.next_kind)
            if kind == "sla_breach":
                SlaTarget.objects.filter(
                    ticket_id=sla.ticket_id, kind=sla.next_kind, due_at=sla.next_due_at
                ).update(breached=True)
        counts[kind] += 1
    return counts


def expected_first_reply(ticket: Ticket) -> datetime | None:
    """When the customer can expect the first answer: for the acknowledgement."""
    sla = TicketSla.objects.filter(ticket=ticket).first() or refresh_ticket_sla(ticket.pk)
    if sla is None:
        return None
    target = SlaTarget.objects.filter(ticket=ticket, kind="first_reply").first()
    return target.due_at if target else sla.next_due_at


def default_calendar() -> Calendar:
    return Calendar.default()


@dataclass(frozen=True)
class FirstReplyPromise:
    """What an acknowledgement promises: a reply within ``target`` of ``calendar``'s hours.

    The shape the acknowledgement hook returns (``calendar``, ``target``);
    defined here so the SLA app needs nothing from the channels above it.
    """

    calendar: BusinessCalendar
    target: timedelta


def ack_target(ticket: Ticket) -> FirstReplyPromise | None:
    """TISKI_ACK_TARGET_HOOK: the acknowledgement promises the SLA's first reply.

    The customer is told the time the ticket's own policy and calendar give,
    so the promise and the clock the agents see are the same thing.
    """
    policy = matching_policy(ticket)
    if policy is None:
        return None
    target = policy.targets_for(ticket.priority).first_reply
    if target is None:
        return None
    return FirstReplyPromise(calendar=policy.calendar.to_calendar(), target=target)
