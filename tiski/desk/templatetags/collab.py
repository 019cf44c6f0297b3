"""The follow button on the ticket page."""

from __future__ import annotations

from django import template

from tiski.tickets.models import Ticket

from ..collab import follow_context

register = template.Library()


@register.inclusion_tag("desk/_follow_button.html", takes_context=True)
def follow_button(context, ticket: Ticket) -> dict:
    return follow_context(context["request"], ticket)
