"""The settings change log: who changed what, newest first."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ..models import SettingChange
from ..sections import SECTIONS
from .common import admin_required


def _shown(value: object) -> str:
    """A logged value as people read it: lists joined, nothing as a dash."""
    if value in (None, "", [], {}):
        return "—"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "—"
    if isinstance(value, bool):
        return "✓" if value else "✗"
    return str(value)


@require_GET
@admin_required
def change_log(request: HttpRequest) -> HttpResponse:
    page = Paginator(SettingChange.objects.select_related("actor"), 50).get_page(
        request.GET.get("page")
    )
    titles = {section.key: section.title for section in SECTIONS}
    for row in page:
        row.section_title = titles.get(row.section, row.section)
        # Field names as the forms label them ("default_team" → "default team").
        row.shown_changes = [
            (field.replace("_", " "), _shown(values[0]), _shown(values[1]))
            for field, values in row.changes.items()
            if isinstance(values, list | tuple) and len(values) == 2
        ]
    return render(request, "setup/log.html", {"page": page})
