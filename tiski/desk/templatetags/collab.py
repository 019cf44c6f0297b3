"""The follow button and the escalation form on the ticket page."""

from __future__ import annotations

from django import template

from tiski.tickets.models import Ticket

from ..collab import EscalateForm, follow_context

register = template.Library()


@register.inclusion_tag("desk/_follow_button.html", takes_context=True)
def follow_button(context, ticket: Ticket) -> dict:
    return follow_context(context["request"], ticket)


@register.inclusion_tag("desk/_escalate_form.html", takes_context=True)
def escalate_form(context, ticket: Ticket) -> dict:
    return {"ticket": ticket, "form": EscalateForm(), "csrf_token": context.get("csrf_token")}
