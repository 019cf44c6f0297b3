"""``{% worktime_panel ticket %}``: the handling-time card of the ticket page's side panel."""

from __future__ import annotations

from django import template

from ..panel import panel_context

register = template.Library()


@register.inclusion_tag("worktime/_panel.html", takes_context=True)
def worktime_panel(context: template.Context, ticket) -> dict:
    request = context["request"]
    data = panel_context(request.user, ticket)
    data["csrf_token"] = context.get("csrf_token")
    return data


@register.filter
def minutes(seconds: int | None) -> str:
    """Seconds as "1 h 05 min" / "12 min", rounded to the minute."""
    total = round((seconds or 0) / 60)
    sign = "−" if total < 0 else ""
    total = abs(total)
    if total >= 60:
        return f"{sign}{total // 60} h {total % 60:02d} min"
    return f"{sign}{total} min"
