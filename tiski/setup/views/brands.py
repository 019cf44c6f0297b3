"""Settings -> Help centre -> Brands: help centres on their own host names.

Each save gives the help centre a new content version: a brand's name,
colours and categories are on its cached pages.
"""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tiski.knowledge import public_version
from tiski.knowledge.models import Brand

from ..audit import form_changes, record_setting_change
from ..branding_forms import save_with_logo
from ..forms_brands import BrandForm
from .common import admin_required

SECTION = "helpcentre"


@require_http_methods(["GET", "POST"])
@admin_required
def brand_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    row = get_object_or_404(Brand, pk=pk) if pk is not None else None
    form = BrandForm(request.POST or None, request.FILES or None, instance=row)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            changes = form_changes(form)
            saved = save_with_logo(form)
            public_version.bump()
            action = "changed" if row is not None else "created"
            record_setting_change(request.user, SECTION, action, saved, changes)
        messages.success(request, _("Brand saved."))
        return redirect("setup:helpcentre")
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "brand": row}
    return render(request, "setup/helpcentre/brand.html", context, status=status)


@require_POST
@admin_required
def brand_delete(request: HttpRequest, pk: int) -> HttpResponse:
    row = get_object_or_404(Brand, pk=pk)
    with transaction.atomic():
        record_setting_change(request.user, SECTION, "deleted", row)
        row.delete()
        public_version.bump()
    messages.success(request, _("Brand deleted."))
    return redirect("setup:helpcentre")
