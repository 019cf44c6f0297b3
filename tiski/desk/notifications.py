"""The agent's in-app notifications (from rules): the bell in the top bar."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from tiski.rules.models import mark_read, unread_for


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
