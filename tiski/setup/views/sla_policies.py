"""Settings → SLA policies: the ordered list (first match wins) and the editor."""

from __future__ import annotations

from django.contrib import messages as flash
from django.db import transaction
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tiski.sla.models import PRIORITIES, Calendar, SlaPolicy
from tiski.tickets.models import Tag

from .. import audit, sla_recalculation
from ..forms_sla import SlaPolicyForm
from .common import admin_required

SECTION = "sla_policies"


def _duration(minutes: int | None) -> str:
    if not minutes:
        return "—"
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return _("%(h)d h %(m)d min") % {"h": hours, "m": rest}
    return _("%(h)d h") % {"h": hours} if hours else _("%(m)d min") % {"m": rest}


@require_GET
@admin_required
def policy_list(request: HttpRequest) -> HttpResponse:
    policies = list(SlaPolicy.objects.select_related("calendar"))
    for policy in policies:
        targets = policy.targets or {}
        policy.summary = [  # type: ignore[attr-defined]
            (priority, _duration((targets.get(priority) or {}).get("first_reply")))
            for priority in PRIORITIES
        ]
    return render(request, "setup/sla/list.html", {"policies": policies})


@require_http_methods(["GET", "POST"])
@admin_required
def policy_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    policy = get_object_or_404(SlaPolicy, pk=pk) if pk is not None else None
    if policy is None and not Calendar.objects.exists():
        flash.info(request, _("An SLA policy counts business hours: make a calendar first."))
        return redirect("setup:calendar-new")
    form = SlaPolicyForm(request.POST or None, instance=policy)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            changes = form.log_changes(audit.form_changes(form))
            saved = form.save(commit=False)
            if policy is None:
                # New policies go last: the ones above keep matching first.
                last = SlaPolicy.objects.aggregate(last=Max("position"))["last"]
                saved.position = (last or 0) + 1
            saved.save()
            form.save_m2m()
            # Saving without a change is not a change: the log stays readable.
            if policy is None or changes:
                audit.record_setting_change(
                    request.user, SECTION, "changed" if policy else "created", saved, changes
                )
            # New targets or another calendar: the open tickets' deadlines move now.
            recalculated = sla_recalculation.after_policy_edit(saved, changes) if policy else ""
        saved_words = _("Saved “%(name)s”.") % {"name": saved.name}
        flash.success(request, f"{saved_words} {recalculated}".strip())
        return redirect("setup:sla-policies")
    context = {
        "form": form,
        "policy": policy,
        "known_tags": Tag.objects.values_list("name", flat=True)[:500],
    }
    return render(request, "setup/sla/edit.html", context, status=400 if form.errors else 200)


@require_POST
@admin_required
def policy_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Swap a policy with its neighbour; positions are renumbered 1..n on the way."""
    with transaction.atomic():
        policies = list(SlaPolicy.objects.select_for_update().order_by("position", "pk"))
        index = next((i for i, p in enumerate(policies) if p.pk == pk), None)
        if index is None:
            return redirect("setup:sla-policies")
        other = index - 1 if request.POST.get("direction") == "up" else index + 1
        if 0 <= other < len(policies):
            policies[index], policies[other] = policies[other], policies[index]
            for position, item in enumerate(policies, start=1):
                if item.position != position:
                    SlaPolicy.objects.filter(pk=item.pk).update(position=position)
            moved = policies[other]
            audit.record_setting_change(
                request.user, SECTION, "changed", moved, {"position": [index + 1, other + 1]}
            )
    return redirect("setup:sla-policies")
