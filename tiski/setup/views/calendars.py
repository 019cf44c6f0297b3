"""Settings → Business calendars: the week grid, holidays and exceptions."""

from __future__ import annotations

from django.contrib import messages as flash
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from tiski.sla.models import Calendar

from .. import audit, sla_recalculation
from ..forms_calendars import (
    CalendarForm,
    country_choices,
    subdivision_choices,
    upcoming_holidays,
)
from .common import admin_required

SECTION = "calendars"


@require_GET
@admin_required
def calendar_list(request: HttpRequest) -> HttpResponse:
    calendars = list(Calendar.objects.all())
    countries = dict(country_choices())
    for calendar in calendars:
        calendar.week = CalendarForm(instance=calendar).week  # type: ignore[attr-defined]
        calendar.country_name = countries.get(calendar.country, calendar.country)  # type: ignore[attr-defined]
    return render(request, "setup/calendars/list.html", {"calendars": calendars})


@require_http_methods(["GET", "POST"])
@admin_required
def calendar_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    calendar = get_object_or_404(Calendar, pk=pk) if pk is not None else None
    form = CalendarForm(request.POST or None, instance=calendar)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            changes = form.log_changes(audit.form_changes(form))
            saved = form.save()
            if saved.is_default:
                # One default: the SLA code falls back to it for unmatched tickets.
                others = Calendar.objects.filter(is_default=True).exclude(pk=saved.pk)
                for other in others:
                    audit.record_setting_change(
                        request.user, SECTION, "changed", other, {"is_default": [True, False]}
                    )
                others.update(is_default=False)
            # Saving without a change is not a change: the log stays readable.
            if calendar is None or changes:
                audit.record_setting_change(
                    request.user, SECTION, "changed" if calendar else "created", saved, changes
                )
            # Other hours or holidays: the deadlines counted in this calendar move now.
            recalculated = sla_recalculation.after_calendar_edit(saved, changes) if calendar else ""
        saved_words = _("Saved “%(name)s”.") % {"name": saved.name}
        flash.success(request, f"{saved_words} {recalculated}".strip())
        return redirect("setup:calendar-edit", pk=saved.pk)
    country = form["country"].value() or ""
    context = {
        "form": form,
        "calendar": calendar,
        "holidays": upcoming_holidays(
            country, form["subdivision"].value() or "", timezone.localdate()
        ),
    }
    return render(request, "setup/calendars/edit.html", context, status=400 if form.errors else 200)


@require_GET
@admin_required
def calendar_holidays(request: HttpRequest) -> HttpResponse:
    """The region choice and the coming holidays after the country changes."""
    country = request.GET.get("country", "")
    subdivision = request.GET.get("subdivision", "")
    if subdivision not in dict(subdivision_choices(country)):
        subdivision = ""
    form = CalendarForm(initial={"country": country, "subdivision": subdivision})
    form.fields["subdivision"].choices = subdivision_choices(country) or [("", "—")]
    context = {
        "form": form,
        "holidays": upcoming_holidays(country, subdivision, timezone.localdate()),
    }
    return render(request, "setup/calendars/_holidays.html", context)
