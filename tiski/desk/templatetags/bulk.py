"""The bulk bar and its confirmation, for every template that lists tickets.

As tags, so a list page needs no view changes: include the bar, give each
row a checkbox ``name="ticket" form="bulk-form"``, and show the banner.
"""

from __future__ import annotations

from django import template

from tiski.macros.models import Macro
from tiski.tickets.models import BulkChange

from ..bulk import SESSION_KEY, BulkForm

register = template.Library()


@register.inclusion_tag("desk/_bulk_bar.html", takes_context=True)
def bulk_bar(context) -> dict:
    request = context["request"]
    user = request.user
    # Ready answers reply to customers, which light agents may not do.
    macros = Macro.objects.usable_by(user).only("pk", "name") if user.can_reply_publicly else []
    return {
        "form": BulkForm(auto_id="bulk-%s"),
        "macros": macros,
        "can_merge": user.can_reply_publicly,
        "next": request.get_full_path(),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("desk/_bulk_done.html", takes_context=True)
def bulk_confirmation(context) -> dict:
    """The change just made, once, with its Undo button (the session carries it over)."""
    request = context["request"]
    pk = request.session.pop(SESSION_KEY, None)
    record = (
        BulkChange.objects.filter(pk=pk, actor=request.user, undone_at__isnull=True).first()
        if pk
        else None
    )
    return {
        "record": record,
        "skipped": list(record.skipped.values()) if record else [],
        "next": request.get_full_path(),
        "csrf_token": context.get("csrf_token"),
    }
