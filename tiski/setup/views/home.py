"""The settings home: every section at a glance, and the first-hour checklist."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tiski.core.models import DeskSettings

from .. import onboarding
from ..audit import record_setting_change
from ..sections import grouped
from .common import admin_required


@require_GET
@admin_required
def home(request: HttpRequest) -> HttpResponse:
    steps = onboarding.steps()
    return render(
        request,
        "setup/home.html",
        {
            "groups": grouped(),
            "steps": steps,
            "steps_done": sum(step.done for step in steps),
        },
    )


@require_POST
@admin_required
def dismiss_onboarding(request: HttpRequest) -> HttpResponse:
    row = DeskSettings.load()
    row.onboarding_dismissed_at = timezone.now()
    row.save(update_fields=["onboarding_dismissed_at"])
    record_setting_change(
        request.user, "onboarding", "changed", _("First-hour checklist"), {"hidden": [False, True]}
    )
    messages.info(request, _("The checklist is hidden. You find it on the Settings page."))
    return redirect("desk:inbox")
