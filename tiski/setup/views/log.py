"""The settings change log: who changed what, newest first."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ..models import SettingChange
from .common import admin_required


@require_GET
@admin_required
def change_log(request: HttpRequest) -> HttpResponse:
    page = Paginator(SettingChange.objects.select_related("actor"), 50).get_page(
        request.GET.get("page")
    )
    return render(request, "setup/log.html", {"page": page})
