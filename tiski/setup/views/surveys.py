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

WORKTIME_MARKER = "worktime-shown"


@admin_required
def surveys(request: HttpRequest) -> HttpResponse:
    row = SurveySettings.load()
    form = SurveySettingsForm(request.POST or None, instance=row)
    # An unticked box is simply absent from a post: the switch is read only
    # when the page's section was in the form (its marker), so a post of the
    # survey fields alone never switches measuring off.
    worktime_posted = request.method == "POST" and WORKTIME_MARKER in request.POST
    worktime_form = WorktimeSettingsForm(
        request.POST if worktime_posted else None, instance=WorktimeSettings.load()
    )
    if (
        request.method == "POST"
        and form.is_valid()
        and (not worktime_posted or worktime_form.is_valid())
    ):
        with transaction.atomic():
            changes = form_changes(form)
            saved = form.save()
            if worktime_posted and (worktime_changes := form_changes(worktime_form)):
                worktime_form.save()
                changes.update(worktime_changes)
            # One save of the page, one line in the settings log.
            record_setting_change(request.user, "surveys", "changed", saved, changes)
        messages.success(request, _("Survey settings saved."))
        return redirect("setup:surveys")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "setup/surveys/surveys.html",
        {"form": form, "worktime_form": worktime_form, "worktime_marker": WORKTIME_MARKER},
        status=status,
    )
