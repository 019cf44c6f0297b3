"""Keeping every ticket's SLA clocks current, and announcing near-breaches.

`refresh_ticket_sla` gathers a ticket's history (three small queries),
asks the pure `clock` module what its clocks say, and stores the result:
one TicketSla row, the SlaTarget rows reports read, and the ticket's queue
sort key (`queue_due_at`). It runs after every ticket change (a
TicketChange handler) and from the periodic checker, which also writes the
warning and breach events rules react to.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

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


def matching_policy(ticket: Ticket, policies: list[SlaPolicy] | None = None) -> SlaPolicy | None:
    """The first active policy whose conditions all hold (empty ones match anything)."""
    if policies is None:
        policies = list(
            SlaPolicy.objects.filter(active=True)
            .select_related("calendar")
            .prefetch_related("match_types", "match_teams", "match_organisations")
        )
    tags = None
    for policy in policies:
        if policy.match_priorities and ticket.priority not in policy.match_priorities:
            continue
        if policy.match_channels and ticket.channel not in policy.match_channels:
            continue
        types = {t.pk for t in policy.match_types.all()}
        if types and ticket.type_id not in types:
            continue
        teams = {t.pk for t in policy.match_teams.all()}
        if teams and ticket.team_id not in teams:
            continue
        orgs = {o.pk for o in policy.match_organisations.all()}
        if orgs and ticket.requester.organisation_id not in orgs:
            continue
        if policy.match_tags:
            if tags is None:
                tags = set(ticket.tags.values_list("name", flat=True))
            if not tags & set(policy.match_tags):
                continue
        return policy
    return None


def ticket_history(ticket: Ticket) -> TicketHistory:
    status_events = list(
        Event.objects.filter(ticket=ticket, kind=EventKind.FIELD, field="status")
        .order_by("created_at", "pk")
        .values_list("created_at", "old_value", "new_value")
    )
    initial = status_events[0][1] if status_events else ticket.status
    statuses = [(ticket.created_at, initial)] + [(at, new) for at, _old, new in status_events]
    messages = Message.objects.filter(
        ticket=ticket, kind__in=(MessageKind.CUSTOMER, MessageKind.PUBLIC)
    ).values_list("created_at", "kind")
    return TicketHistory(
        created_at=ticket.created_at,
        statuses=statuses,
        customer_messages=[at for at, kind in messages if kind == MessageKind.CUSTOMER],
        public_replies=[at for at, kind in messages if kind == MessageKind.PUBLIC],
    )


def active_policies() -> list[SlaPolicy]:
    return list(
        SlaPolicy.objects.filter(active=True).select_related("calendar")
        .prefetch_related("match_types", "match_teams", "match_organisations")
    )


def refresh_tickets(ticket_ids: list[int]) -> None:
    """Bulk handler: refresh many tickets with the policies read once."""
    policies = active_policies()
    for ticket_id in ticket_ids:
        refresh_ticket_sla(ticket_id, policies=policies)


@transaction.atomic
def refresh_ticket_sla(ticket_id: int, now: datetime | None = None,
                       policies: list[SlaPolicy] | None = None) -> TicketSla | None:
    now = now or timezone.now()
    ticket = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("requester")
        .filter(pk=ticket_id)
        .first()
    )
    if ticket is None:
        return None
    policy = matching_policy(ticket, policies)
    sla, _created = TicketSla.objects.get_or_create(ticket=ticket)
    sla.policy = policy
    due_at: datetime | None = None
    warn_at: datetime | None = None
    sla.paused = False
    if policy is not None:
        clocks = compute_clocks(
            ticket_history(ticket),
            policy.targets_for(ticket.priority),
            policy.calendar.to_calendar(),
        )
        _store_targets(ticket, policy, clocks, now)
        nxt = next_deadline(clocks) if ticket.status in UNSOLVED_STATUSES else None
        if nxt is not None:
            due_at = nxt.due_at
            # Warn ahead by the policy's margin, but never more than a quarter
            # of the target: a one-hour target is not "near breach" at once.
            margin = min(timedelta(minutes=policy.warn_before_minutes), nxt.target / 4)
            warn_at = due_at - margin
            sla.next_kind = nxt.kind
        else:
            sla.next_kind = ""
            sla.paused = (
                any(c.running and c.due_at is None for c in clocks)
                and ticket.status in UNSOLVED_STATUSES
            )
    else:
        SlaTarget.objects.filter(ticket=ticket, achieved_at__isnull=True).delete()
        sla.next_kind = ""
    sla.next_due_at = due_at
    sla.warn_at = warn_at
    sla.computed_at = now
    sla.save()
    # The queue's sort key is derived data, like an index: stored directly.
    Ticket.objects.filter(pk=ticket.pk).update(
        queue_due_at=due_at or NO_DEADLINE, sla_warn_at=warn_at
    )
    return sla


def _store_targets(ticket: Ticket, policy: SlaPolicy, clocks, now: datetime) -> None:
    existing = {(t.kind, t.started_at): t for t in SlaTarget.objects.filter(ticket=ticket)}
    keep = set()
    for clock in clocks:
        key = (clock.kind, clock.started_at)
        keep.add(key)
        row = existing.get(key) or SlaTarget(
            ticket=ticket, kind=clock.kind, started_at=clock.started_at
        )
        wanted = (policy.pk, clock.due_at, clock.achieved_at, clock.breached(now))
        if row.pk and (row.policy_id, row.due_at, row.achieved_at, row.breached) == wanted:
            continue  # most changes leave most clocks as they were
        row.policy = policy
        row.due_at, row.achieved_at, row.breached = wanted[1:]
        row.save()
    # Clocks that no longer exist (e.g. the policy changed) are dropped while
    # they run; achieved ones are history and stay.
    for key, row in existing.items():
        if key not in keep and row.achieved_at is None:
            row.delete()


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
        _tell_rules(sla.ticket_id, kind)
        counts[kind] += 1
    return counts


def _tell_rules(ticket_id: int, kind: str) -> None:
    try:
        from tiski.rules.engine import dispatch_sla_event
    except ImportError:  # the rules app is optional
        return
    try:
        dispatch_sla_event(ticket_id, kind)
    except Exception:
        log.exception("rules failed on %s for ticket %s", kind, ticket_id)


def expected_first_reply(ticket: Ticket) -> datetime | None:
    """When the customer can expect the first answer: for the acknowledgement."""
    sla = TicketSla.objects.filter(ticket=ticket).first() or refresh_ticket_sla(ticket.pk)
    if sla is None:
        return None
    target = SlaTarget.objects.filter(ticket=ticket, kind="first_reply").first()
    return target.due_at if target else sla.next_due_at


def default_calendar() -> Calendar:
    return Calendar.default()


def ack_target(ticket: Ticket):
    """TISKI_ACK_TARGET_HOOK: the acknowledgement promises the SLA's first reply.

    The customer is told the time the ticket's own policy and calendar give,
    so the promise and the clock the agents see are the same thing.
    """
    from tiski.channels.email.outbound import AckTarget

    policy = matching_policy(ticket)
    if policy is None:
        return None
    target = policy.targets_for(ticket.priority).first_reply
    if target is None:
        return None
    return AckTarget(calendar=policy.calendar.to_calendar(), target=target)
