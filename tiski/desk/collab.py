"""Working together on a ticket: @mention suggestions and following.

Thin views over `tiski.notifications`; the ticket is always read through
`get_visible_ticket`, and the suggestions list only agents who may see it.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tiski.notifications import mentions, services
from tiski.notifications.models import FollowReason
from tiski.tickets.lookup import get_visible_ticket
from tiski.tickets.models import Ticket


@login_required
@require_GET
def mention_suggest(request: HttpRequest, number: int) -> HttpResponse:
    ticket = get_visible_ticket(request.user, number)
    people = [
        {"name": user.name or user.email, "handle": mentions.handle(user)}
        for user in mentions.candidates(ticket, request.GET.get("q", ""))
    ]
    return render(request, "desk/_mention_results.html", {"people": people})


@login_required
@require_POST
def follow_toggle(request: HttpRequest, number: int) -> HttpResponse:
    ticket = get_visible_ticket(request.user, number)
    if request.POST.get("follow") == "1":
        services.follow(request.user, ticket.pk, FollowReason.MANUAL)
    else:
        services.unfollow(request.user, ticket.pk)
    if request.headers.get("HX-Request"):
        return render(request, "desk/_follow_button.html", follow_context(request, ticket))
    return redirect(ticket.get_absolute_url())


def follow_context(request: HttpRequest, ticket: Ticket) -> dict:
    return {
        "ticket": ticket,
        "following": services.is_following(request.user, ticket.pk),
        "followers": services.follower_count(ticket.pk),
    }


def refused_mention_error(ticket: Ticket, text: str) -> str:
    """The sentence that refuses a note naming agents who may not see the ticket, or ''."""
    refused = mentions.resolve(ticket, text).refused
    if not refused:
        return ""
    names = ", ".join(user.name or user.email for user in refused)
    return _(
        "%(names)s cannot see this ticket, so the note cannot mention them. "
        "Remove the mention, or first give them the ticket or its team."
    ) % {"names": names}
