"""The agent's in-app notifications: the bell in the top bar.

Rules write notifications of their own (the ``notify`` action); this module
adds the one every desk has: "you were given a ticket", written by a
ticket-change handler after commit, never when agents take a ticket themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Exists, OuterRef
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


def _assigned_at_creation(ticket_ids: list[int]) -> dict[int, int | None]:
    """Each new ticket's assignee, where it was given when the ticket was made.

    A creation's change does not carry the assignee, so the row tells; but by
    the time the handler runs, routing may have assigned the ticket, and that
    assignment (an assignee event) makes its own notice. Such tickets are left
    out here, so the routed agent hears of the ticket once."""
    later = Event.objects.filter(ticket=OuterRef("pk"), kind=EventKind.FIELD, field="assignee")
    return dict(
        Ticket.objects.filter(pk__in=ticket_ids)
        .exclude(Exists(later))
        .values_list("pk", "assignee")
    )


def _giver_by_event(event: Event | None) -> str:
    if event is not None and event.meta.get("rule"):
        return _("Rule “%(name)s”") % {"name": event.meta["rule"]}
    if event is not None and event.meta.get("absence_of"):
        return _("The out-of-office hand-over")
    return _("Automatic routing")


def on_ticket_change(change: TicketChange) -> None:
    """Ticket-change handler: tell an agent who was given a ticket by someone
    else. The one-change form of `on_ticket_changes`: one path for both."""
    on_ticket_changes([change])


def on_ticket_changes(many: Sequence[TicketChange]) -> None:
    """`on_ticket_change` for many changes, one per ticket (a worker's batch
    of new chats, each routed to an agent): the same notices, with the
    assignees, subjects, givers and the agents' choices read once for all
    and the notices written together (`services.notify_many`), instead of
    nine statements per assignment."""
    # An escalation's assignment is told by its own notice (notifications.handlers).
    given = [(c, _new_assignee_id_known(c)) for c in many if "escalation_level" not in c.fields]
    unknown = [c.ticket_id for c, assignee_id in given if assignee_id is _ASK]
    assignees_of = _assigned_at_creation(unknown) if unknown else {}
    work = []
    for change, assignee_id in given:
        if assignee_id is _ASK:
            assignee_id = assignees_of.get(change.ticket_id)
        if assignee_id is not None and assignee_id != change.actor_id:
            work.append((change, assignee_id))
    if not work:
        return
    assignees = User.objects.filter(pk__in={a for _c, a in work}, is_active=True).in_bulk()
    work = [(c, a) for c, a in work if a in assignees]
    if not work:
        return
    subjects = dict(
        Ticket.objects.filter(pk__in={c.ticket_id for c, _a in work}).values_list("pk", "subject")
    )
    givers = _givers(work)
    notices = []
    for (change, assignee_id), giver in zip(work, givers, strict=True):
        with translation.override(assignees[assignee_id].language):
            text = _("%(who)s assigned this ticket to you: %(subject)s") % {
                "who": giver(),
                "subject": subjects.get(change.ticket_id) or "",
            }
        notices.append(
            services.Notice(
                user_id=assignee_id,
                ticket_id=change.ticket_id,
                actor_id=change.actor_id,
                text=text,
            )
        )
    services.notify_many(Kind.ASSIGNED, notices)


on_ticket_change.handle_many = on_ticket_changes  # type: ignore[attr-defined]

# `_new_assignee_id_known`: the change does not say; the ticket row does.
_ASK: Any = object()


def _new_assignee_id_known(change: TicketChange) -> Any:
    """The new assignee the change names; `_ASK` for a creation (the row tells,
    `_assigned_at_creation`); None when the change gave nobody the ticket."""
    if "assignee" in change.fields:
        new = change.fields["assignee"][1]
        return int(new) if new.isdigit() else None
    return _ASK if change.created else None


def _givers(work: list[tuple[TicketChange, int]]) -> list[Callable[[], str]]:
    """Who gave each ticket, in words (an agent, a rule by name, the hand-over
    or the routing), in order, from two reads for all: the actors, and the
    assignment events of the changes without one. Each is worded when
    called, in the language then active."""
    actor_ids = {c.actor_id for c, _a in work if c.actor_id is not None}
    actors = User.objects.in_bulk(actor_ids) if actor_ids else {}
    need_events = [c.ticket_id for c, _a in work if c.actor_id is None or c.actor_id not in actors]
    latest: dict[tuple[int, str], Event] = {}
    if need_events:
        for event in Event.objects.filter(
            ticket_id__in=need_events, kind=EventKind.FIELD, field="assignee"
        ).order_by("-created_at", "-pk"):
            latest.setdefault((event.ticket_id, event.new_value), event)
    givers: list[Callable[[], str]] = []
    for change, assignee_id in work:
        if change.actor_id is not None and change.actor_id in actors:
            givers.append(lambda actor=actors[change.actor_id]: str(actor))
            continue
        event = latest.get((change.ticket_id, str(assignee_id)))
        givers.append(lambda event=event: _giver_by_event(event))
    return givers
