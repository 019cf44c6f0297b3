"""Macro search and insertion for the reply box (htmx partials)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import F, Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from tiski.tickets.lookup import get_visible_ticket

from .models import Macro
from .services import render_for


@login_required
@require_GET
def suggest(request: HttpRequest, number: int) -> HttpResponse:
    ticket = get_visible_ticket(request.user, number)
    query = request.GET.get("q", "").strip().lstrip(";")
    macros = Macro.objects.usable_by(request.user)
    if query:
        macros = macros.filter(
            Q(name__icontains=query)
            | Q(shortcut__istartswith=query)
            | Q(text_fi__icontains=query)
            | Q(text_en__icontains=query)
        )
    macros = macros.order_by("-usage_count", "name")[:8]
    return render(request, "macros/_suggestions.html", {"macros": macros, "ticket": ticket})


@login_required
@require_GET
def expand(request: HttpRequest, number: int, pk: int) -> JsonResponse:
    ticket = get_visible_ticket(request.user, number)
    macro = get_object_or_404(Macro.objects.usable_by(request.user), pk=pk)
    return JsonResponse(
        {
            "id": macro.pk,
            "text": render_for(macro, ticket, request.user),
            "status": macro.set_status,
        }
    )


@login_required
@require_GET
def by_shortcut(request: HttpRequest, number: int) -> JsonResponse:
    ticket = get_visible_ticket(request.user, number)
    shortcut = request.GET.get("shortcut", "").strip().lstrip(";").lower()
    # The agent's own macro wins over a shared one with the same shortcut.
    macro = (
        Macro.objects.usable_by(request.user)
        .filter(shortcut=shortcut)
        .order_by(F("owner").asc(nulls_last=True))
        .first()
    )
    if macro is None:
        return JsonResponse({"id": None}, status=404)
    return JsonResponse(
        {
            "id": macro.pk,
            "text": render_for(macro, ticket, request.user),
            "status": macro.set_status,
        }
    )
