"""Settings -> Surveys: CSAT and NPS switches, texts, link and cool-down days,
and the reports' handling-time switch."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from tiski.surveys.models import SurveySettings
from tiski.worktime.models import WorktimeSettings

from ..audit import form_changes, record_setting_change
from ..forms_surveys import SurveySettingsForm, WorktimeSettingsForm
from .common import admin_required


@admin_required
def surveys(request: HttpRequest) -> HttpResponse:
    row = SurveySettings.load()
    form = SurveySettingsForm(request.POST or None, instance=row)
    worktime_form = WorktimeSettingsForm(request.POST or None, instance=WorktimeSettings.load())
    if request.method == "POST" and form.is_valid() and worktime_form.is_valid():
        with transaction.atomic():
            changes = form_changes(form)
            saved = form.save()
            record_setting_change(request.user, "surveys", "changed", saved, changes)
            if worktime_changes := form_changes(worktime_form):
                worktime = worktime_form.save()
                record_setting_change(
                    request.user, "surveys", "changed", worktime, worktime_changes
                )
        messages.success(request, _("Survey settings saved."))
        return redirect("setup:surveys")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "setup/surveys/surveys.html",
        {"form": form, "worktime_form": worktime_form},
        status=status,
    )
