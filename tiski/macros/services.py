"""Inserting a macro: render its text for a ticket, then apply its changes."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F

from tiski.core.placeholders import render, ticket_values
from tiski.tickets import actions
from tiski.tickets.models import Ticket, Via

from .models import Macro


def render_for(macro: Macro, ticket: Ticket, agent) -> str:
    """The macro's text in the customer's language, placeholders filled in a sandbox."""
    values = ticket_values(ticket)
    # In a reply the agent is the one writing, not necessarily the assignee.
    values["agent.name"] = agent.name or agent.email
    return render(macro.text_for(ticket.requester.language), values)


@transaction.atomic
def apply_actions(macro: Macro, ticket: Ticket, agent) -> None:
    """The ticket changes a macro carries, through the ordinary actions."""
    changes = {}
    if macro.set_priority:
        changes["priority"] = macro.set_priority
    if macro.set_team_id:
        changes["team"] = macro.set_team
    if changes:
        actions.update_ticket(ticket, actor=agent, via=Via.AGENT, **changes)
    if macro.add_tags:
        actions.add_tags(ticket, macro.add_tags, actor=agent, via=Via.AGENT)
    Macro.objects.filter(pk=macro.pk).update(usage_count=F("usage_count") + 1)
