"""The agent's in-app notifications: the bell in the top bar.

Rules write notifications of their own (the ``notify`` action); this module
adds the one every desk has: "you were given a ticket", written by a
ticket-change handler after commit, never when agents take a ticket themselves.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tiski.accounts.models import User
from tiski.notifications import services
from tiski.notifications.models import Kind, Notification, mark_read, unread_for
from tiski.tickets.changes import TicketChange
from tiski.tickets.models import Event, EventKind, Ticket


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    return _render(request)


def _render(request: HttpRequest) -> HttpResponse:
    unread = unread_for(request.user).select_related("ticket")
    return render(
        request, "desk/_notifications.html", {"notifications": unread[:20], "count": unread.count()}
    )


@login_required
@require_POST
def notification_read(request: HttpRequest) -> HttpResponse:
    ids = [int(i) for i in request.POST.getlist("id") if i.isdigit()] or None
    mark_read(request.user, ids)
    return _render(request)


@login_required
@require_GET
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Follow a notice's link, marking it read on the way."""
    notice = get_object_or_404(Notification, pk=pk, user=request.user)
    mark_read(request.user, [notice.pk])
    if notice.ticket_id is None or not services.may_see(request.user, notice.ticket_id):
        return redirect("desk:inbox")
    return redirect(notice.link)


def _new_assignee_id(change: TicketChange) -> int | None:
    if "assignee" in change.fields:
        new = change.fields["assignee"][1]
        return int(new) if new.isdigit() else None
    if change.created:
        return Ticket.objects.filter(pk=change.ticket_id).values_list("assignee", flat=True).first()
    return None


def _giver(change: TicketChange, assignee_id: int) -> str:
    """Who gave the ticket, in words: an agent, a rule by name, or the routing."""
    if change.actor_id is not None:
        actor = User.objects.filter(pk=change.actor_id).first()
        if actor is not None:
            return str(actor)
    event = (
        Event.objects.filter(
            ticket_id=change.ticket_id,
            kind=EventKind.FIELD,
            field="assignee",
            new_value=str(assignee_id),
        )
        .order_by("-created_at", "-pk")
        .first()
    )
    if event is not None and event.meta.get("rule"):
        return _("Rule “%(name)s”") % {"name": event.meta["rule"]}
    if event is not None and event.meta.get("absence_of"):
        return _("The out-of-office hand-over")
    return _("Automatic routing")


def on_ticket_change(change: TicketChange) -> None:
    """Ticket-change handler: tell an agent who was given a ticket by someone else."""
    if "escalation_level" in change.fields:
        return  # the escalation notice says it (tiski.notifications.handlers)
    assignee_id = _new_assignee_id(change)
    if assignee_id is None or assignee_id == change.actor_id:
        return
    assignee = User.objects.filter(pk=assignee_id, is_active=True).first()
    if assignee is None:
        return
    subject = Ticket.objects.filter(pk=change.ticket_id).values_list("subject", flat=True).first()
    # Stored as text, so written in the reader's language.
    with translation.override(assignee.language):
        text = _("%(who)s assigned this ticket to you: %(subject)s") % {
            "who": _giver(change, assignee_id),
            "subject": subject or "",
        }
    # Through the notifications service: the agent's setting for this kind
    # decides, and their open tabs refresh the bell after commit.
    services.notify(
        [assignee.pk],
        Kind.ASSIGNED,
        ticket_id=change.ticket_id,
        actor_id=change.actor_id,
        text=text,
    )
