"""The bulk bar and its confirmation, for every template that lists tickets.

As tags, so a list page needs no view changes: include the bar, give each
row a checkbox ``name="ticket" form="bulk-form"``, and show the banner.
"""

from __future__ import annotations

from datetime import timedelta

from django import template
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from tiski.core.config_cache import kept
from tiski.macros.models import Macro
from tiski.tickets.models import BulkChange

from ..bulk import PENDING_KEY, SESSION_KEY, BulkForm

# A background change not found after this long is not waited for any more.
PENDING_FOR = timedelta(minutes=30)

register = template.Library()


@register.inclusion_tag("desk/_bulk_bar.html", takes_context=True)
def bulk_bar(context) -> dict:
    request = context["request"]
    user = request.user
    # Ready answers reply to customers, which light agents may not do.
    macros = (
        kept(f"bulk:macros:{user.pk}", lambda: list(Macro.objects.usable_by(user).only("name")))
        if user.can_reply_publicly
        else []
    )
    return {
        "form": BulkForm(auto_id="bulk-%s"),
        "macros": macros,
        "can_merge": user.can_reply_publicly,
        "next": request.get_full_path(),
        "csrf_token": context.get("csrf_token"),
        # The inbox sets it when more tickets match than the page shows.
        "matching": context.get("bulk_matching"),
    }


def _finished_background_change(request) -> tuple[int | None, bool]:
    """The record of a background change started from this session, once it exists.

    (pk, False) when it is done, (None, True) while it is still being made.
    """
    since = parse_datetime(request.session.get(PENDING_KEY) or "")
    if since is None or timezone.now() - since > PENDING_FOR:
        request.session.pop(PENDING_KEY, None)
        return None, False
    record = (
        BulkChange.objects.filter(actor=request.user, created_at__gte=since)
        .order_by("-id")
        .values_list("pk", flat=True)
        .first()
    )
    if record is None:
        return None, True
    request.session.pop(PENDING_KEY, None)
    return record, False


@register.inclusion_tag("desk/_bulk_done.html", takes_context=True)
def bulk_confirmation(context) -> dict:
    """The change just made, once, with its Undo button (the session carries it over)."""
    request = context["request"]
    pk = request.session.pop(SESSION_KEY, None)
    pending = False
    if pk is None and PENDING_KEY in request.session:
        pk, pending = _finished_background_change(request)
    record = (
        BulkChange.objects.filter(pk=pk, actor=request.user, undone_at__isnull=True).first()
        if pk
        else None
    )
    return {
        "record": record,
        "skipped": list(record.skipped.values()) if record else [],
        "pending": pending,
        "next": request.get_full_path(),
        "csrf_token": context.get("csrf_token"),
    }
