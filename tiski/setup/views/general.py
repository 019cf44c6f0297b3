"""General settings: desk name, default language, time zone, logo."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from tiski.core.models import DeskSettings

from ..audit import form_changes, record_setting_change
from ..forms_desk import GeneralForm
from .common import admin_required


def _file_name(path: str) -> str | None:
    return path.rsplit("/", 1)[-1] if path else None


@admin_required
def general(request: HttpRequest) -> HttpResponse:
    row = DeskSettings.load()
    old_logo = row.logo.name if row.logo else ""
    form = GeneralForm(request.POST or None, request.FILES or None, instance=row)
    if request.method == "POST" and form.is_valid():
        changes = form_changes(form)
        changes.pop("remove_logo", None)
        uploaded = request.FILES.get("logo")
        with transaction.atomic():
            saved = form.save(commit=False)
            if uploaded is not None:
                saved.logo_content_type = form.logo_content_type
                changes["logo"] = [_file_name(old_logo), uploaded.name]
            elif form.cleaned_data.get("remove_logo"):
                saved.logo, saved.logo_content_type = None, ""
                changes["logo"] = [_file_name(old_logo), None]
            saved.save()
            record_setting_change(request.user, "general", "changed", saved, changes)
        if old_logo and old_logo != (saved.logo.name if saved.logo else ""):
            saved.logo.storage.delete(old_logo)
        messages.success(request, _("General settings saved."))
        return redirect("setup:general")
    return render(request, "setup/general/general.html", {"form": form, "row": row})


@require_GET
@login_required
def logo(request: HttpRequest) -> HttpResponse:
    """The logo for the top bar; the name in the query string busts caches."""
    row = DeskSettings.objects.filter(pk=1).first()
    if row is None or not row.logo or not row.logo_content_type:
        raise Http404
    try:
        handle = row.logo.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type=row.logo_content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=86400"
    return response
