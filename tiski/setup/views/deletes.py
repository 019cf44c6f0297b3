"""Deleting ready answers, SLA policies and calendars: confirm, then log what went.

A calendar SLA policies still count by cannot go (the foreign key protects
it); the page names the policies to move first instead of failing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages as flash
from django.db import models, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from tiski.macros.models import Macro
from tiski.sla.models import Calendar, SlaPolicy

from .. import audit
from .common import admin_required


@dataclass(frozen=True)
class Deletable:
    model: type[models.Model]
    section: str
    list_url: str
    edit_url: str
    question: Promise


KINDS = {
    "macro": Deletable(
        Macro,
        "macros",
        "setup:macros",
        "setup:macro-edit",
        gettext_lazy("Delete the ready answer “%(name)s”? Agents can no longer insert it."),
    ),
    "sla_policy": Deletable(
        SlaPolicy,
        "sla_policies",
        "setup:sla-policies",
        "setup:sla-policy-edit",
        gettext_lazy("Delete the SLA policy “%(name)s”? Its tickets get the next matching policy."),
    ),
    "calendar": Deletable(
        Calendar,
        "calendars",
        "setup:calendars",
        "setup:calendar-edit",
        gettext_lazy("Delete the calendar “%(name)s”?"),
    ),
}


def _blockers(obj: Any) -> list[str]:
    if isinstance(obj, Calendar):
        return [str(p) for p in SlaPolicy.objects.filter(calendar=obj).order_by("position")]
    return []


@require_http_methods(["GET", "POST"])
@admin_required
def delete(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    info = KINDS[kind]
    obj = get_object_or_404(info.model, pk=pk)
    blockers = _blockers(obj)
    if request.method == "POST" and not blockers:
        name = str(obj)
        with transaction.atomic():
            audit.record_setting_change(request.user, info.section, "deleted", obj, {})
            obj.delete()
        flash.success(request, _("Deleted “%(name)s”.") % {"name": name})
        return redirect(info.list_url)
    context = {
        "info": info,
        "obj": obj,
        "question": info.question % {"name": obj},
        "blockers": blockers,
    }
    return render(
        request,
        "setup/editors/delete.html",
        context,
        status=409 if blockers and request.method == "POST" else 200,
    )
