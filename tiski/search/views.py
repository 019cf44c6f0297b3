"""Search pages: thin views over tiski.search.service."""

from __future__ import annotations

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from .models import SavedSearch
from .service import (
    contact_for_identity,
    search_contacts,
    search_organisations,
    search_tickets,
    search_url,
)

MAX_QUERY = 500
MAX_SAVED = 50
SUGGEST_MIN_CHARS = 2


def _query(request: HttpRequest) -> str:
    return " ".join(request.GET.get("q", request.POST.get("q", "")).split())[:MAX_QUERY]


@login_required
@require_GET
def search_view(request: HttpRequest) -> HttpResponse:
    query = _query(request)
    contact = contact_for_identity(query) if query else None
    if contact is not None:  # an address or a number: straight to its person
        return redirect("desk:contact", pk=contact.pk)
    results = search_tickets(request.user, query, limit=50) if query else None
    if results is not None and results.jump_to is not None:
        return redirect(results.jump_to.get_absolute_url())
    parsed = results.parsed if results is not None else None
    context = {
        "query": query,
        "results": results,
        "contacts": search_contacts(parsed) if parsed else [],
        "organisations": search_organisations(parsed) if parsed else [],
        "saved_searches": SavedSearch.objects.filter(user=request.user),
        "is_saved": SavedSearch.objects.filter(user=request.user, query=query).exists(),
    }
    return render(request, "search/search.html", context)


@login_required
@require_GET
def suggest_view(request: HttpRequest) -> HttpResponse:
    """The dropdown under the top-bar box: a few of each kind, while typing."""
    query = _query(request)
    if len(query) < SUGGEST_MIN_CHARS:
        return HttpResponse("")
    results = search_tickets(request.user, query, limit=5, quick=True)
    parsed = results.parsed
    context = {
        "query": query,
        "results": results,
        "contacts": search_contacts(parsed, limit=3) if parsed else [],
        "organisations": search_organisations(parsed, limit=3) if parsed else [],
        "all_url": search_url(query),
    }
    return render(request, "search/_suggest.html", context)


@login_required
@require_POST
def save_search(request: HttpRequest) -> HttpResponse:
    query = _query(request)
    name = " ".join(request.POST.get("name", "").split())[:80] or query[:80]
    if not query:
        flash.error(request, _("Type a search before saving it."))
        return redirect("search:search")
    mine = SavedSearch.objects.filter(user=request.user)
    if mine.count() >= MAX_SAVED and not mine.filter(name=name).exists():
        flash.error(request, _("You have %(count)s saved searches already.") % {"count": MAX_SAVED})
        return redirect(search_url(query))
    position = (mine.aggregate(last=Max("position"))["last"] or 0) + 1
    try:
        with transaction.atomic():
            SavedSearch.objects.create(user=request.user, name=name, query=query, position=position)
    except IntegrityError:
        # Saving again under a name in use replaces that search's query.
        mine.filter(name=name).update(query=query)
    flash.success(request, _("Search saved as “%(name)s”.") % {"name": name})
    return redirect(search_url(query))


@login_required
@require_POST
def delete_search(request: HttpRequest) -> HttpResponse:
    pk = request.POST.get("id", "")
    if pk.isdigit():
        deleted, _rows = SavedSearch.objects.filter(user=request.user, pk=int(pk)).delete()
        if deleted:
            flash.success(request, _("Saved search removed."))
    query = _query(request)
    return redirect(search_url(query) if query else reverse("search:search"))
