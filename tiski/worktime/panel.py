"""What the ticket page's handling-time card shows."""

from __future__ import annotations

from django.urls import reverse

from tiski.accounts.models import User
from tiski.core.config_cache import kept
from tiski.tickets.models import Ticket

from . import services
from .counting import BEAT_SECONDS, IDLE_AFTER
from .models import EntrySource, WorkEntry, WorktimeSettings


def panel_context(user: User, ticket: Ticket) -> dict:
    time = services.ticket_time(ticket)
    totals = time.totals
    mine = next((seconds for agent, seconds in totals if agent.pk == user.pk), 0)
    # Most tickets' time is all measured: no changes by hand to look for.
    changes = (
        WorkEntry.objects.filter(ticket=ticket)
        .exclude(source=EntrySource.MEASURED)
        .select_related("agent", "recorded_by")
        .order_by("-created_at", "-pk")[:10]
        if time.by_hand
        else []
    )
    agents = (
        User.objects.filter(is_active=True).order_by("name", "email")
        if user.can_see_team_reports
        else None
    )
    return {
        "ticket": ticket,
        "worktime_totals": totals,
        "worktime_mine": mine,
        "worktime_total": sum(seconds for _agent, seconds in totals),
        "worktime_changes": changes,
        "worktime_agents": agents,
        # No address, no beats: the page's script measures nothing when switched off.
        "worktime_beat_url": reverse("worktime:beat", args=[ticket.number])
        if kept("worktime:tracking", WorktimeSettings.tracking)
        else "",
        "worktime_beat_seconds": BEAT_SECONDS,
        "worktime_idle_after": IDLE_AFTER,
        "user": user,
    }
