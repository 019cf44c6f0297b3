"""Inserting a macro: render its text for a ticket, then apply its changes."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import F

from tiski.core.placeholders import render, ticket_values
from tiski.tickets import actions
from tiski.tickets.models import BulkChange, BulkChangeKind, MessageKind, Ticket, Via
from tiski.tickets.reply_channel import reply_channel

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


def apply_to_tickets(macro: Macro, tickets: Iterable[Ticket], agent) -> BulkChange:
    """Send the ready answer on every ticket and make its changes, as one bulk change.

    Each ticket gets the text in its requester's language as a public reply,
    then the macro's status, priority, team and tags, through the same bulk
    path as any other bulk change, so one undo puts the fields and tags
    back. A reply that was sent stays sent: mail cannot be called back.
    """
    actions.check_can_write_message(agent, MessageKind.PUBLIC)
    fields: dict = {}
    if macro.set_status:
        fields["status"] = macro.set_status
    if macro.set_priority:
        fields["priority"] = macro.set_priority
    if macro.set_team_id:
        fields["team"] = macro.set_team

    def reply(ticket: Ticket) -> None:
        # On the conversation's channel (SMS, WhatsApp, ...), as the composer would send it.
        channel, meta = reply_channel(ticket)
        actions.add_message(
            ticket,
            kind=MessageKind.PUBLIC,
            actor=agent,
            via=Via.AGENT,
            text=render_for(macro, ticket, agent),
            channel=channel,
            meta={**meta, "macro": macro.pk, "macro_name": macro.name},
        )

    record = actions.bulk_update_tickets(
        tickets,
        actor=agent,
        via=Via.AGENT,
        fields=fields,
        add_tags=macro.add_tags or (),
        per_ticket=reply,
        kind=BulkChangeKind.MACRO,
    )
    if record.tickets:
        Macro.objects.filter(pk=macro.pk).update(usage_count=F("usage_count") + len(record.tickets))
    return record
