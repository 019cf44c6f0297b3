"""Settings -> Help centre: the public help centre's name, logo, colour, footer and the
portal's default for organisations."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from tiski.knowledge import public_version
from tiski.knowledge.models import Brand, HelpCentreSettings

from ..audit import form_changes, record_setting_change
from ..branding_forms import save_with_logo
from ..forms_helpcentre import HelpCentreForm
from .common import admin_required


@admin_required
def helpcentre(request: HttpRequest) -> HttpResponse:
    row = HelpCentreSettings.load()
    form = HelpCentreForm(request.POST or None, request.FILES or None, instance=row)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            changes = form_changes(form)
            saved = save_with_logo(form)
            public_version.bump()  # the name, logo and footer are on every cached page
            record_setting_change(request.user, "helpcentre", "changed", saved, changes)
        messages.success(request, _("Help centre settings saved."))
        return redirect("setup:helpcentre")
    status = 400 if request.method == "POST" else 200
    row = HelpCentreSettings.load()
    context = {
        "form": form,
        "embed_origins": row.embed_origin_list(),
        "brands": Brand.objects.all(),
        "embed_url": request.build_absolute_uri(reverse("portal:request-embed", args=["fi"])),
    }
    return render(request, "setup/helpcentre/helpcentre.html", context, status=status)
