"""The reports index: the live overview page and its figures fragment."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from tiski.tickets.models import Status

from . import overview
from .access import require_reports_access


def _inbox(params: dict[str, str], own_only: bool) -> str:
    if own_only:
        params = {**params, "assignee": "me"}
    return f"{reverse('desk:inbox')}?{urlencode(params)}"


def links(figures: overview.OverviewFigures) -> dict[str, str]:
    """The desk ticket list each number counts: the same tickets, through visible_to."""
    own = figures.own_only
    day = {"from": figures.day_start.isoformat(), "to": figures.day_end.isoformat()}
    out = {
        "open": _inbox({"view": "open"}, own),
        "unassigned": _inbox({"view": "unassigned"}, own),
        "breaching": _inbox({"view": "open", "sla": "breached"}, own),
        "near_breach": _inbox({"view": "open", "sla": "warning"}, own),
        "created_today": _inbox(
            {"view": "all", "created_from": day["from"], "created_to": day["to"]}, own
        ),
        "solved_today": _inbox(
            {"view": "all", "solved_from": day["from"], "solved_to": day["to"]}, own
        ),
    }
    for status in overview.OPEN_STATUSES:
        out[f"status_{status}"] = _inbox({"view": "open", "status": status}, own)
    return out


def _context(request: HttpRequest) -> dict:
    figures = overview.compute(request.user)
    urls = links(figures)
    labels = dict(Status.choices)
    return {
        "figures": figures,
        "links": urls,
        "statuses": [
            (status, labels[status], figures.by_status[status], urls[f"status_{status}"])
            for status in overview.OPEN_STATUSES
        ],
    }


@login_required
@require_GET
def overview_page(request: HttpRequest) -> HttpResponse:
    require_reports_access(request.user)
    if request.GET.get("partial") == "figures":
        return render(request, "reports/_overview_figures.html", _context(request))
    return render(request, "reports/overview.html", _context(request))
