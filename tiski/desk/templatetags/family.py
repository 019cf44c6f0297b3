"""A ticket's parent and children on the ticket page, as far as the viewer may see."""

from __future__ import annotations

from django import template

from tiski.tickets.models import UNSOLVED_STATUSES, Ticket

register = template.Library()


@register.inclusion_tag("desk/_parent_link.html", takes_context=True)
def parent_link(context, ticket: Ticket) -> dict:
    """The parent's number, as a link only for a viewer who may open it."""
    if not ticket.parent_id:
        return {"parent": None}
    user = context["request"].user
    parent = Ticket.objects.visible_to(user).filter(pk=ticket.parent_id).first()
    number = (
        parent.number
        if parent
        else (Ticket.objects.filter(pk=ticket.parent_id).values_list("number", flat=True).first())
    )
    return {"parent": parent, "number": number}


@register.inclusion_tag("desk/_child_tickets.html", takes_context=True)
def child_tickets(context, ticket: Ticket) -> dict:
    """The children the viewer sees, with status and owner, and how many open ones are hidden."""
    user = context["request"].user
    # Most tickets have no children: one narrow look answers that, and gives
    # the statuses to count the hidden open ones from, without a count query.
    statuses = dict(Ticket.objects.filter(parent_id=ticket.pk).values_list("pk", "status"))
    children = (
        list(
            Ticket.objects.visible_to(user)
            .filter(parent_id=ticket.pk)
            .select_related("assignee", "team")
            .order_by("created_at", "id")
        )
        if statuses
        else []
    )
    shown = {c.pk for c in children}
    hidden_open = sum(
        1 for pk, status in statuses.items() if pk not in shown and status in UNSOLVED_STATUSES
    )
    return {
        "ticket": ticket,
        "children": children,
        "hidden_open": hidden_open,
        "can_add": ticket.status != "closed",
        # An admin may solve the parent anyway; the override is recorded.
        "can_override": user.is_admin
        and ticket.status not in ("solved", "closed")
        and (hidden_open or any(c.status in UNSOLVED_STATUSES for c in children)),
    }
