"""The customer timeline and contact merging, for agents."""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import merge, timeline
from .models import Contact, ContactMerge, Organisation

PAGE = 100


def _before(request: HttpRequest) -> datetime | None:
    try:
        return datetime.fromisoformat(request.GET.get("before", ""))
    except ValueError:
        return None


def _render_timeline(request, *, contact=None, organisation=None, items, suggestions=()):
    older = items[-1].at.isoformat() if len(items) == PAGE else ""
    return render(
        request,
        "customers/timeline.html",
        {
            "contact": contact,
            "organisation": organisation,
            "items": items,
            "older": older,
            "suggestions": suggestions,
        },
    )


@login_required
@require_GET
def contact_timeline(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_object_or_404(
        Contact.objects.select_related("organisation").prefetch_related("identities"), pk=pk
    )
    items = timeline.for_contact(request.user, contact, before=_before(request), limit=PAGE)
    return _render_timeline(
        request, contact=contact, items=items, suggestions=merge.suggestions_for(contact, limit=5)
    )


@login_required
@require_GET
def organisation_timeline(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = get_object_or_404(Organisation, pk=pk)
    items = timeline.for_organisation(
        request.user, organisation, before=_before(request), limit=PAGE
    )
    return _render_timeline(request, organisation=organisation, items=items)


@login_required
@require_http_methods(["GET", "POST"])
def contact_merge(request: HttpRequest, pk: int) -> HttpResponse:
    """Merge another contact into this one: suggestions, or any contact by number."""
    contact = get_object_or_404(Contact.objects.prefetch_related("identities"), pk=pk)
    if request.method == "POST":
        try:
            merge.check_can_merge(request.user)
            other = get_object_or_404(Contact, pk=int(request.POST.get("other", "0")))
            done = merge.merge_contacts(other, contact, actor=request.user)
        except (ValueError, ValidationError) as exc:
            messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
            flash.error(request, " ".join(messages))
            return HttpResponseRedirect(reverse("customers:contact-merge", args=[contact.pk]))
        except PermissionDenied as exc:
            flash.error(request, str(exc))
            return HttpResponseRedirect(reverse("customers:contact-timeline", args=[contact.pk]))
        flash.success(
            request,
            _("%(name)s was merged into this contact.")
            % {"name": done.source_snapshot["name"] or f"#{done.source_id}"},
        )
        return HttpResponseRedirect(reverse("customers:contact-merge", args=[contact.pk]))
    query = request.GET.get("q", "").strip()
    found = []
    if query:
        found = list(
            Contact.objects.filter(name__icontains=query)
            .exclude(pk=contact.pk)
            .prefetch_related("identities")[:20]
        ) + list(
            Contact.objects.matching(query)
            .exclude(pk=contact.pk)
            .prefetch_related("identities")
            .distinct()[:20]
        )
    return render(
        request,
        "customers/merge.html",
        {
            "contact": contact,
            "suggestions": merge.suggestions_for(contact),
            "query": query,
            "found": list(dict.fromkeys(found)),
            "merges": ContactMerge.objects.filter(target=contact).select_related("actor")[:20],
        },
    )


@login_required
@require_GET
def merge_suggestions(request: HttpRequest) -> HttpResponse:
    return render(
        request, "customers/merge_suggestions.html", {"suggestions": merge.all_suggestions()}
    )


@login_required
@require_POST
def merge_undo(request: HttpRequest, pk: int) -> HttpResponse:
    record = get_object_or_404(ContactMerge, pk=pk)
    try:
        source = merge.undo_merge(record, actor=request.user)
    except (ValidationError, PermissionDenied) as exc:
        flash.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return HttpResponseRedirect(reverse("customers:contact-merge", args=[record.target_id]))
    flash.success(request, _("The merge was undone."))
    return HttpResponseRedirect(reverse("customers:contact-timeline", args=[source.pk]))
