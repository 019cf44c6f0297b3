"""Who gets a new ticket: routing within a team, and handing work over during absences.

`choose_agent` is pure: candidates with their load and skills in, one
agent out. The service around it gathers the candidates (members of the
ticket's team who are active, present, allowed to answer customers and
under the team's cap) and assigns through `update_ticket`, so every routing
decision is an ordinary assignment event (via "system").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from tiski.accounts.models import Role, Routing, Team, User

from .actions import update_ticket
from .changes import TicketChange
from .models import UNSOLVED, UNSOLVED_STATUSES, Event, EventKind, Status, Ticket, Via


@dataclass(frozen=True)
class Candidate:
    user_id: int
    open_tickets: int
    skills: frozenset[str]


def choose_agent(
    candidates: Sequence[Candidate],
    *,
    mode: str,
    needed_skills: frozenset[str],
    cap: int,
    last_user_id: int | None,
) -> int | None:
    """The agent to assign, or None when nobody may take it now.

    Agents at the cap are skipped. Agents with every needed skill are
    preferred; when none of them is available, anyone under the cap will do
    (a ticket waiting for a skill nobody has is worse than a good-enough
    answer). Round robin goes to the next agent by id after the last one;
    least loaded takes the fewest open tickets, ties by id.
    """
    available = [c for c in candidates if cap <= 0 or c.open_tickets < cap]
    if not available:
        return None
    skilled = [c for c in available if needed_skills <= c.skills] if needed_skills else []
    pool = sorted(skilled or available, key=lambda c: c.user_id)
    if mode == Routing.LEAST_LOADED:
        return min(pool, key=lambda c: (c.open_tickets, c.user_id)).user_id
    if mode == Routing.ROUND_ROBIN:
        after = [c for c in pool if last_user_id is not None and c.user_id > last_user_id]
        return (after or pool)[0].user_id
    return None


def needed_skills(ticket: Ticket) -> frozenset[str]:
    """Skills a ticket asks for: the customer's language and the ticket's tags."""
    skills = {ticket.requester.language} if ticket.requester.language else set()
    skills |= set(ticket.tags.values_list("name", flat=True))
    return frozenset(skills)


def candidates_for(team: Team, now: datetime) -> list[Candidate]:
    members = (
        team.members.filter(is_active=True)
        .exclude(role=Role.LIGHT_AGENT)
        .exclude(
            Q(out_of_office_from__lte=now)
            & (Q(out_of_office_until__isnull=True) | Q(out_of_office_until__gt=now))
        )
        .annotate(
            open_count=Count(
                "assigned_tickets", filter=Q(assigned_tickets__status__in=UNSOLVED_STATUSES)
            )
        )
    )
    return [Candidate(m.pk, m.open_count, frozenset(m.skills or ())) for m in members]


def route_ticket(ticket_id: int, now: datetime | None = None) -> User | None:
    """Assign an unassigned ticket by its team's routing mode; None if not routed."""
    now = now or timezone.now()
    with transaction.atomic():
        ticket = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("team", "requester")
            .filter(pk=ticket_id)
            .first()
        )
        if (
            ticket is None
            or ticket.assignee_id is not None
            or ticket.team is None
            or ticket.status not in (Status.NEW, Status.OPEN)
            or ticket.team.routing == Routing.MANUAL
        ):
            return None
        team = Team.objects.select_for_update().get(pk=ticket.team_id)
        chosen = choose_agent(
            candidates_for(team, now),
            mode=team.routing,
            needed_skills=needed_skills(ticket),
            cap=team.max_open_per_agent,
            last_user_id=team.last_routed_to_id,
        )
        if chosen is None:
            return None
        agent = User.objects.get(pk=chosen)
        update_ticket(ticket, actor=None, via=Via.SYSTEM, assignee=agent)
        team.last_routed_to = agent
        team.save(update_fields=["last_routed_to"])
        return agent


def _return_to_owner(ticket_id: int) -> None:
    """A customer wrote on a ticket handed over during an absence: back to its owner."""
    handover = (
        Event.objects.filter(
            ticket_id=ticket_id,
            kind=EventKind.FIELD,
            field="assignee",
            meta__absence_of__isnull=False,
        )
        .order_by("-created_at", "-pk")
        .first()
    )
    if handover is None:
        return
    owner = User.objects.filter(pk=handover.meta["absence_of"], is_active=True).first()
    if owner is None or owner.is_out_of_office():
        return
    ticket = Ticket.objects.get(pk=ticket_id)
    if ticket.assignee_id != owner.pk and ticket.status in UNSOLVED_STATUSES:
        update_ticket(ticket, actor=None, via=Via.SYSTEM, assignee=owner)


def on_ticket_change(change: TicketChange) -> None:
    """TicketChange handler: route unassigned tickets; bring handed-over ones home."""
    if "customer" in change.message_kinds:
        _return_to_owner(change.ticket_id)
    if _may_route(change):
        route_ticket(change.ticket_id)


def on_ticket_changes(many: Sequence[TicketChange]) -> None:
    """`on_ticket_change` for many changes, one per ticket (a worker's batch).

    Most tickets need nothing (a new chat is assigned by the chat itself,
    few tickets were ever handed over), so one query finds those among all
    that may, and only they go through the one-ticket path, which reads
    again under its lock: three statements per new ticket become one per
    batch."""
    customer = [c.ticket_id for c in many if "customer" in c.message_kinds]
    for ticket_id in _handed_over(customer):
        _return_to_owner(ticket_id)
    for ticket_id in _unassigned_routable([c.ticket_id for c in many if _may_route(c)]):
        route_ticket(ticket_id)


on_ticket_change.handle_many = on_ticket_changes  # type: ignore[attr-defined]


def _may_route(change: TicketChange) -> bool:
    return change.created or "team" in change.fields or "assignee" in change.fields


def _handed_over(ticket_ids: list[int]) -> list[int]:
    """Those of the tickets an absence ever handed over (`_return_to_owner` looks further)."""
    if not ticket_ids:
        return []
    found = set(
        Event.objects.filter(
            ticket_id__in=ticket_ids,
            kind=EventKind.FIELD,
            field="assignee",
            meta__absence_of__isnull=False,
        ).values_list("ticket_id", flat=True)
    )
    return [pk for pk in ticket_ids if pk in found]


def _unassigned_routable(ticket_ids: list[int]) -> list[int]:
    """Those of the tickets `route_ticket` would not turn away at once, in order."""
    if not ticket_ids:
        return []
    found = set(
        Ticket.objects.filter(
            pk__in=ticket_ids,
            assignee__isnull=True,
            team__isnull=False,
            status__in=(Status.NEW, Status.OPEN),
        )
        .exclude(team__routing=Routing.MANUAL)
        .values_list("pk", flat=True)
    )
    return [pk for pk in ticket_ids if pk in found]


def hand_over_absences(now: datetime | None = None) -> int:
    """When an agent's absence starts, pass their open tickets on (run periodically).

    Tickets go to the agent's delegate, or back to their team's queue, where
    routing may give them to a colleague. The event records whose absence
    it was, so the ticket can return when the customer writes again.
    """
    now = now or timezone.now()
    moved = 0
    absent = (
        User.objects.filter(out_of_office_from__lte=now)
        .filter(Q(out_of_office_until__isnull=True) | Q(out_of_office_until__gt=now))
        .exclude(absence_handled_from=F("out_of_office_from"))
    )
    for agent in absent.select_related("absence_delegate"):
        delegate = agent.absence_delegate
        if delegate is not None and (not delegate.is_active or delegate.is_out_of_office(now)):
            delegate = None
        for ticket in Ticket.objects.filter(UNSOLVED, assignee=agent).select_related("team"):
            update_ticket(
                ticket,
                actor=None,
                via=Via.SYSTEM,
                assignee=delegate,
                event_meta={"absence_of": agent.pk},
            )
            moved += 1
        agent.absence_handled_from = agent.out_of_office_from
        agent.save(update_fields=["absence_handled_from"])
    return moved
