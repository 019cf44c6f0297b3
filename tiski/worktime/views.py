"""The heartbeat endpoint and the side panel's handling-time form."""

from __future__ import annotations

import uuid

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tiski.accounts.models import User
from tiski.tickets.models import Ticket

from . import services
from .panel import panel_context


def _visible_ticket(user: User, number: int) -> Ticket:
    try:
        return Ticket.objects.visible_to(user).get(number=number)
    except Ticket.DoesNotExist as exc:
        raise Http404(_("No such ticket.")) from exc


@login_required
@require_POST
def beat(request: HttpRequest, number: int) -> HttpResponse:
    """One heartbeat of a ticket page: {session, focused, idle}; answers the agent's total."""
    ticket = _visible_ticket(request.user, number)
    try:
        session = uuid.UUID(request.POST.get("session", ""))
        idle = float(request.POST.get("idle", "0"))
    except ValueError:
        return JsonResponse({"error": "bad beat"}, status=400)
    if idle != idle or idle < 0:  # NaN or negative: a broken client
        return JsonResponse({"error": "bad beat"}, status=400)
    focused = request.POST.get("focused") == "1"
    try:
        services.record_beat(ticket, request.user, services.Beat(session, focused, idle))
    except PermissionDenied:
        return JsonResponse({"error": "forbidden"}, status=403)
    except services.TrackingOff:
        # The page's script stops beating when it reads this.
        return JsonResponse({"tracking": False}, status=409)
    return JsonResponse({"seconds": services.agent_seconds(ticket, request.user)})


@login_required
@require_POST
def record(request: HttpRequest, number: int) -> HttpResponse:
    """The side panel's form: add minutes, or set an agent's total on the ticket."""
    ticket = _visible_ticket(request.user, number)
    error = ""
    agent: User = request.user
    agent_id = request.POST.get("agent", "")
    if agent_id and agent_id != str(request.user.pk):
        agent = User.objects.filter(
            pk=agent_id if agent_id.isdigit() else 0, is_active=True
        ).first()
        if agent is None:
            error = _("Choose an agent.")
    mode = request.POST.get("mode", "add")
    minutes_text = request.POST.get("minutes", "").strip()
    note = request.POST.get("note", "").strip()
    saved = False
    if not error:
        try:
            minutes = int(minutes_text)
        except ValueError:
            error = _("Give the time in whole minutes.")
        else:
            try:
                if mode == "set":
                    services.set_total_minutes(
                        ticket, agent, minutes, actor=request.user, note=note
                    )
                else:
                    services.add_minutes(ticket, agent, minutes, actor=request.user, note=note)
                saved = True
            except (ValidationError, PermissionDenied) as exc:
                error = " ".join(getattr(exc, "messages", None) or [str(exc)])
    context = panel_context(request.user, ticket)
    context.update({"error": error, "saved": saved})
    return render(request, "worktime/_panel.html", context, status=400 if error else 200)
