"""Teams: members, routing mode and cap, restricted flag."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from tiski.accounts.models import Team

from ..audit import form_changes, record_setting_change
from ..forms_people import TeamForm
from .common import admin_required

SECTION = "teams"


@require_GET
@admin_required
def team_list(request: HttpRequest) -> HttpResponse:
    teams = Team.objects.annotate(member_count=Count("members")).prefetch_related("members")
    return render(request, "setup/teams/list.html", {"teams": teams})


@admin_required
def team_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    team = get_object_or_404(Team, pk=pk) if pk is not None else None
    was_restricted = bool(team and team.restricted)
    form = TeamForm(request.POST or None, instance=team)
    if request.method == "POST" and form.is_valid():
        changes = form_changes(form)
        with transaction.atomic():
            saved = form.save()
            if team is None or changes:
                action = "created" if team is None else "changed"
                record_setting_change(request.user, SECTION, action, saved, changes)
        messages.success(request, _("Team %(name)s saved.") % {"name": saved})
        if saved.restricted and not was_restricted:
            messages.warning(
                request,
                _(
                    "%(name)s is now restricted: its tickets are hidden from agents "
                    "who are not members."
                )
                % {"name": saved},
            )
        return redirect("setup:teams")
    return render(request, "setup/teams/edit.html", {"form": form, "team": team})
