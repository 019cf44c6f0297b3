"""Priority labels: the desk's own name for each priority, per language."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from tiski.tickets import labels
from tiski.tickets.models import PriorityLabel

from ..audit import record_setting_change
from ..forms_desk import PriorityLabelsForm
from .common import admin_required


@admin_required
def priorities(request: HttpRequest) -> HttpResponse:
    current = labels.overrides()
    form = PriorityLabelsForm(request.POST or None, current=current)
    if request.method == "POST" and form.is_valid():
        wanted = form.wanted()
        changes = {
            form.field_name(*key): [current.get(key), wanted.get(key)]
            for key in sorted(set(current) | set(wanted))
            if current.get(key) != wanted.get(key)
        }
        with transaction.atomic():
            for (priority, language), label in wanted.items():
                PriorityLabel.objects.update_or_create(
                    priority=priority, language=language, defaults={"label": label}
                )
            for priority, language in set(current) - set(wanted):
                PriorityLabel.objects.filter(priority=priority, language=language).delete()
            if changes:
                record_setting_change(
                    request.user, "priorities", "changed", _("Priority labels"), changes
                )
        messages.success(request, _("Priority labels saved."))
        return redirect("setup:priorities")
    return render(request, "setup/priorities/edit.html", {"form": form})
