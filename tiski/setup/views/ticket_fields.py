"""Ticket fields: add, edit (with options), reorder, deactivate."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.db.models import Count, Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tiski.tickets.models import TicketField

from ..audit import form_changes, record_setting_change
from ..forms_fields import TicketFieldForm
from .common import admin_required

SECTION = "ticket_fields"


@require_GET
@admin_required
def field_list(request: HttpRequest) -> HttpResponse:
    fields = (
        TicketField.objects.annotate(value_count=Count("values"))
        .prefetch_related("ticket_types")
        .order_by("position", "pk")
    )
    return render(request, "setup/ticket_fields/list.html", {"fields": fields})


@admin_required
def field_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    field = get_object_or_404(TicketField, pk=pk) if pk is not None else None
    form = TicketFieldForm(request.POST or None, instance=field)
    old_options = list(field.options) if field else []
    if request.method == "POST" and form.is_valid():
        changes = form_changes(form)
        changes.pop("options_text", None)
        if form.instance.options != old_options:
            changes["options"] = [old_options, form.instance.options]
        with transaction.atomic():
            saved = form.save(commit=False)
            if field is None:
                last = TicketField.objects.aggregate(last=Max("position"))["last"]
                saved.position = 0 if last is None else last + 1
            saved.save()
            form.save_m2m()
            if field is None or changes:
                action = "created" if field is None else "changed"
                record_setting_change(request.user, SECTION, action, saved, changes)
        messages.success(request, _("Ticket field %(name)s saved.") % {"name": saved})
        return redirect("setup:ticket-fields")
    status = 400 if request.method == "POST" else 200
    return render(
        request, "setup/ticket_fields/edit.html", {"form": form, "field": field}, status=status
    )


@require_POST
@admin_required
def field_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a field one place up or down; positions are renumbered 0..n on the way."""
    moved = get_object_or_404(TicketField, pk=pk)
    step = -1 if request.POST.get("direction") == "up" else 1
    with transaction.atomic():
        order = list(TicketField.objects.select_for_update().order_by("position", "pk"))
        index = next(i for i, f in enumerate(order) if f.pk == moved.pk)
        other = index + step
        if 0 <= other < len(order):
            order[index], order[other] = order[other], order[index]
            for position, field in enumerate(order):
                if field.position != position:
                    field.position = position
                    field.save(update_fields=["position"])
            record_setting_change(
                request.user, SECTION, "changed", moved, {"order": [index + 1, other + 1]}
            )
    return redirect("setup:ticket-fields")
