"""Settings → Ready answers: list with search, the editor, its live preview."""

from __future__ import annotations

from typing import Any

from django.contrib import messages as flash
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tiski.core.placeholders import ALLOWED_PLACEHOLDERS, ticket_values, unknown_placeholders
from tiski.core.placeholders import render as render_text
from tiski.macros.models import Macro
from tiski.tickets.models import Tag, Ticket

from .. import audit
from ..forms_macros import MacroForm
from .common import admin_required

SECTION = "macros"


@require_GET
@admin_required
def macro_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip().lstrip(";")
    macros = Macro.objects.select_related("owner", "set_team").order_by("name")
    if query:
        macros = macros.filter(
            Q(name__icontains=query)
            | Q(shortcut__istartswith=query)
            | Q(text_fi__icontains=query)
            | Q(text_en__icontains=query)
        )
    context = {"macros": macros, "query": query}
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "setup/macros/_rows.html", context)
    return render(request, "setup/macros/list.html", context)


@require_http_methods(["GET", "POST"])
@admin_required
def macro_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    macro = get_object_or_404(Macro, pk=pk) if pk is not None else None
    form = MacroForm(request.POST or None, instance=macro)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            changes = form.log_changes(audit.form_changes(form))
            saved = form.save()
            # Saving without a change is not a change: the log stays readable.
            if macro is None or changes:
                audit.record_setting_change(
                    request.user, SECTION, "changed" if macro else "created", saved, changes
                )
        flash.success(request, _("Saved “%(name)s”.") % {"name": saved.name})
        return redirect("setup:macros")
    context = {
        "form": form,
        "macro": macro,
        "placeholders": ALLOWED_PLACEHOLDERS,
        "known_tags": Tag.objects.values_list("name", flat=True)[:500],
    }
    return render(request, "setup/macros/edit.html", context, status=400 if form.errors else 200)


def _sample_values(request: HttpRequest) -> tuple[dict[str, str], Ticket | None]:
    """Values from the newest ticket the admin can see, or made-up ones on an empty desk."""
    user: Any = request.user
    ticket = (
        Ticket.objects.visible_to(user)
        .select_related("requester__organisation", "assignee")
        .order_by("-id")
        .first()
    )
    if ticket is not None:
        values = ticket_values(ticket, base_url=request.build_absolute_uri("/"))
    else:
        values = {
            "ticket.number": "1234",
            "ticket.subject": _("My order has not arrived"),
            "ticket.url": request.build_absolute_uri("/t/1234/"),
            "requester.first_name": "Maija",
            "requester.name": "Maija Meikäläinen",
            "organisation.name": "Esimerkki Oy",
        }
    # In a reply the agent writing is the one named, as when the answer is used.
    values["agent.name"] = user.name or user.email
    return values, ticket


@require_POST
@admin_required
def macro_preview(request: HttpRequest) -> HttpResponse:
    values, ticket = _sample_values(request)
    previews = []
    for field, label in (("text_fi", _("Finnish")), ("text_en", _("English"))):
        text = request.POST.get(field, "")
        if text.strip():
            previews.append(
                {
                    "label": label,
                    "text": render_text(text, values, keep_unknown=True),
                    "unknown": unknown_placeholders(text),
                }
            )
    return render(request, "setup/macros/_preview.html", {"previews": previews, "ticket": ticket})
