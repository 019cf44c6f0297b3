"""Ticket types: add, rename, reorder, deactivate."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.db.models import Count, Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tiski.tickets.models import TicketType

from ..audit import form_changes, record_setting_change
from ..forms_desk import TicketTypeForm
from .common import admin_required

SECTION = "ticket_types"


def unique_slug(name: str) -> str:
    base = slugify(name)[:40] or "type"
    slug, n = base, 2
    while TicketType.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@require_GET
@admin_required
def type_list(request: HttpRequest) -> HttpResponse:
    types = TicketType.objects.annotate(ticket_count=Count("tickets")).order_by("position", "pk")
    return render(request, "setup/ticket_types/list.html", {"types": types})


@admin_required
def type_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    ticket_type = get_object_or_404(TicketType, pk=pk) if pk is not None else None
    form = TicketTypeForm(request.POST or None, instance=ticket_type)
    if request.method == "POST" and form.is_valid():
        changes = form_changes(form)
        with transaction.atomic():
            saved = form.save(commit=False)
            if ticket_type is None:
                saved.slug = unique_slug(saved.name_en or saved.name_fi)
                last = TicketType.objects.aggregate(last=Max("position"))["last"]
                saved.position = 0 if last is None else last + 1
            saved.save()
            if ticket_type is None or changes:
                action = "created" if ticket_type is None else "changed"
                record_setting_change(request.user, SECTION, action, saved, changes)
        messages.success(request, _("Ticket type %(name)s saved.") % {"name": saved})
        return redirect("setup:ticket-types")
    return render(
        request, "setup/ticket_types/edit.html", {"form": form, "ticket_type": ticket_type}
    )


@require_POST
@admin_required
def type_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a type one place up or down; positions are renumbered 0..n on the way."""
    moved = get_object_or_404(TicketType, pk=pk)
    step = -1 if request.POST.get("direction") == "up" else 1
    with transaction.atomic():
        order = list(TicketType.objects.select_for_update().order_by("position", "pk"))
        index = next(i for i, t in enumerate(order) if t.pk == moved.pk)
        other = index + step
        if 0 <= other < len(order):
            order[index], order[other] = order[other], order[index]
            for position, ticket_type in enumerate(order):
                if ticket_type.position != position:
                    ticket_type.position = position
                    ticket_type.save(update_fields=["position"])
            record_setting_change(
                request.user,
                SECTION,
                "changed",
                moved,
                {"order": [index + 1, other + 1]},
            )
    return redirect("setup:ticket-types")
