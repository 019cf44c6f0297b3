"""Is anybody there to chat, and who takes a new chat.

An agent takes chats while their toggle says available (``User.chat_available``),
they are active and not out of office, they may answer customers, they are in
the widget's team (any agent when the widget has none) and they have fewer
live chats than their own ``chat_limit``. A live chat is an unsolved ticket
assigned to them whose visitor is in the chat now: a visitor who has left is
answered by email and no longer holds a chat slot.

Outside the widget's chat hours nobody is available, toggle or not.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from tiski.accounts.models import Role, Routing, User
from tiski.core import realtime
from tiski.tickets.actions import update_ticket
from tiski.tickets.models import UNSOLVED_STATUSES, Ticket, Via
from tiski.tickets.routing import Candidate, choose_agent

from .models import ChatWidget, SessionStatus
from .presence import present_q


def within_hours(widget: ChatWidget, now: datetime) -> bool:
    if widget.calendar is None:
        return True
    return widget.calendar.to_calendar().is_open(now)


def _live_chat_filter(now: datetime) -> Q:
    return Q(
        assigned_tickets__status__in=UNSOLVED_STATUSES,
        assigned_tickets__webchat_sessions__status=SessionStatus.OPEN,
    ) & present_q(now, prefix="assigned_tickets__webchat_sessions__")


def candidates(widget: ChatWidget, now: datetime) -> list[Candidate]:
    """Agents who could take a new chat now, with their live chats as the load."""
    return [candidate for candidate, _agent in _candidate_agents(widget, now)]


def _candidate_agents(widget: ChatWidget, now: datetime) -> list[tuple[Candidate, User]]:
    """`candidates` with each one's user row, so the chosen one needs no second read."""
    agents = User.objects.filter(is_active=True, chat_available=True, chat_limit__gt=0).exclude(
        role=Role.LIGHT_AGENT
    )
    agents = agents.exclude(
        Q(out_of_office_from__lte=now)
        & (Q(out_of_office_until__isnull=True) | Q(out_of_office_until__gt=now))
    )
    if widget.default_team_id is not None:
        agents = agents.filter(teams=widget.default_team_id)
    agents = agents.annotate(
        live=Count("assigned_tickets", filter=_live_chat_filter(now), distinct=True)
    )
    return [
        (Candidate(a.pk, a.live, frozenset(a.skills or ())), a)
        for a in agents
        if a.live < a.chat_limit
    ]


def available(widget: ChatWidget, now: datetime | None = None) -> bool:
    """The widget shows its greeting (True) or its offline message (False)."""
    now = now or timezone.now()
    return within_hours(widget, now) and bool(candidates(widget, now))


def route_chat(
    ticket: Ticket, widget: ChatWidget, now: datetime | None = None, *, just_created: bool = False
) -> User | None:
    """Give a new chat ticket to the available agent with the fewest live chats.

    Least loaded rather than round robin: chats end at different speeds, so
    the free slots are what matters. The assignment is an ordinary event (via
    system); a ticket a rule already assigned is left alone.

    ``just_created``: the caller's transaction wrote ``ticket`` and is still
    open (the chat's first message). Nobody else can see the row yet, let
    alone assign it, so it is assigned as it is, without reading it again
    under a lock or a savepoint of its own: four statements fewer on every
    new chat."""
    now = now or timezone.now()
    if not within_hours(widget, now):
        return None
    if just_created:
        return _assign(ticket, widget, now)
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update(of=("self",)).get(pk=ticket.pk)
        return _assign(ticket, widget, now)


def _assign(ticket: Ticket, widget: ChatWidget, now: datetime) -> User | None:
    if ticket.assignee_id is not None:
        return None
    found = _candidate_agents(widget, now)
    chosen = choose_agent(
        [candidate for candidate, _agent in found],
        mode=Routing.LEAST_LOADED,
        needed_skills=frozenset(),
        cap=0,  # each agent's own limit is applied in candidates()
        last_user_id=None,
    )
    if chosen is None:
        return None
    agent = next(agent for candidate, agent in found if candidate.user_id == chosen)
    update_ticket(ticket, actor=None, via=Via.SYSTEM, assignee=agent)
    # The agent's desk rings (desk.js: a sound and a desktop notification);
    # after commit, so the ticket is there when they open it.
    transaction.on_commit(lambda: _ring(agent.pk, ticket))
    return agent


def _ring(agent_id: int, ticket: Ticket) -> None:
    # The link is made here, after commit, not in the transaction: this
    # transaction holds the ticket-number row, and a process's first
    # ``reverse`` imports the whole URLconf (seconds on a busy machine), which
    # every other new ticket in the desk then waited for.
    payload = {
        "ticket_id": ticket.pk,
        "number": ticket.number,
        "subject": ticket.subject,
        "url": reverse("desk:ticket", kwargs={"number": ticket.number}),
    }
    realtime.send_to_user(agent_id, "chat.new", payload)
