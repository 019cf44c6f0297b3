"""The handling time report page (/reports/handling/).

A minimal period form (from, to, grouping) until the reports app's shared
period picker and filters take it over; the figures come from
``tiski.worktime.metrics.handling_rows``, which the reports registry, the
exports and ``tiski report handling`` call the same way.
"""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, timedelta

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_GET

from tiski.core import desk
from tiski.tickets.models import Ticket
from tiski.worktime import metrics
from tiski.worktime.models import WorktimeSettings

from .access import can_see_team_reports, require_reports_access

BY_CHOICES = [
    ("agent", _("Agent")),
    ("team", _("Team")),
    ("type", _("Type")),
    ("ticket", _("Ticket")),
    ("day", _("Day")),
]


class HandlingForm(forms.Form):
    start = forms.DateField(
        label=pgettext_lazy("period", "From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=pgettext_lazy("period", "To"), widget=forms.DateInput(attrs={"type": "date"})
    )
    by = forms.ChoiceField(label=_("By"), choices=BY_CHOICES)

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise forms.ValidationError(_("The period ends before it starts."))
        return data


def _instant(day: date, tz: zoneinfo.ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=tz)


@login_required
@require_GET
def handling_page(request: HttpRequest) -> HttpResponse:
    require_reports_access(request.user)
    tz = zoneinfo.ZoneInfo(desk.time_zone_name())
    today = timezone.now().astimezone(tz).date()
    initial = {"start": today.replace(day=1), "end": today, "by": "agent"}
    form = HandlingForm(request.GET or None, initial=initial)
    values = form.cleaned_data if form.is_bound and form.is_valid() else initial
    # Both days included: up to local midnight after the last one.
    start = _instant(values["start"], tz)
    end = _instant(values["end"] + timedelta(days=1), tz)
    # Managers and admins: everyone's time on every ticket they see. Agents:
    # their own time, on any ticket they see (not only those assigned to them).
    tickets = Ticket.objects.visible_to(request.user)
    agent = None if can_see_team_reports(request.user) else request.user
    rows = metrics.handling_rows(tickets, start, end, values["by"], agent=agent)
    total = sum(r.seconds for r in rows)
    return render(
        request,
        "reports/handling.html",
        {
            "form": form,
            "rows": rows,
            "by": values["by"],
            "by_label": dict(BY_CHOICES)[values["by"]],
            "total_seconds": total,
            "own_only": agent is not None,
            "tracking": WorktimeSettings.tracking(),
            "period": (values["start"], values["end"]),
        },
    )
