"""The team workload page (/reports/workload/): for team leads, managers and admins."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from . import workload
from .access import require_reports_access


def _inbox(team_id: int, assignee: str, **extra: str) -> str:
    params = {"view": "open", "team": str(team_id), "assignee": assignee, **extra}
    return f"{reverse('desk:inbox')}?{urlencode(params)}"


def _links(team_id: int, load: workload.Load) -> dict[str, str]:
    who = str(load.agent.pk) if load.agent else "none"
    return {
        "open": _inbox(team_id, who),
        "breaching": _inbox(team_id, who, sla="breached"),
        "near_breach": _inbox(team_id, who, sla="warning"),
    }


@login_required
@require_GET
def workload_page(request: HttpRequest) -> HttpResponse:
    require_reports_access(request.user)
    teams = workload.teams_for(request.user)
    if not teams:
        raise PermissionDenied
    wanted = request.GET.get("team", "")
    if wanted:
        team = next((t for t in teams if str(t.pk) == wanted), None)
        if team is None:
            raise Http404  # no such team, or one the reader does not lead
    else:
        team = teams[0]
    now = timezone.now()
    figures = workload.compute(request.user, team, now)

    def row(load: workload.Load, outside: bool = False) -> dict:
        since = load.oldest_wait_since
        return {
            "load": load,
            "links": _links(team.pk, load),
            "away": bool(load.agent and load.agent.is_out_of_office(now)),
            "outside": outside,
            "wait": (now - since).total_seconds() if since else None,
        }

    rows = [row(load) for load in figures.rows] + [row(load, True) for load in figures.outside]
    return render(
        request,
        "reports/workload.html",
        {
            "teams": teams,
            "team": team,
            "figures": figures,
            "rows": rows,
            "unassigned": row(figures.unassigned),
        },
    )
