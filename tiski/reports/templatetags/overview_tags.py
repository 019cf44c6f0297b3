"""Template helpers of the overview page."""

from __future__ import annotations

from django import template
from django.template.loader import get_template
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import pgettext

register = template.Library()


@register.simple_tag(takes_context=True)
def reports_nav(context: template.Context) -> SafeString:
    """The reports' shared navigation (``reports/_nav.html``)."""
    nav = get_template("reports/_nav.html")
    return mark_safe(nav.render(context.flatten(), context.get("request")))


@register.filter
def waited(seconds: float) -> str:
    """A waiting time as "3 d 4 h", "2 h 05 min" or "12 min"."""
    minutes = max(0, int(seconds // 60))
    if minutes >= 2880:
        days = pgettext("days", "d")
        return f"{minutes // 1440} {days} {minutes % 1440 // 60} h"
    if minutes >= 60:
        return f"{minutes // 60} h {minutes % 60:02d} min"
    return f"{minutes} min"
