"""The desk's name and logo in the top bar, and the first-hour checklist on the inbox."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from tiski.core import desk
from tiski.core.models import DeskSettings

from .. import onboarding

register = template.Library()


def _row(context: template.Context) -> DeskSettings:
    request = context.get("request")
    row = getattr(request, "desk_settings", None)
    return row if row is not None else desk.current()


@register.simple_tag(takes_context=True)
def desk_brand(context: template.Context) -> SafeString:
    """The logo (when there is one) and the desk's name."""
    row = _row(context)
    name = row.name or "tiski"  # the product's wordmark until the desk has a name
    if row.logo and row.logo_content_type:
        return format_html(
            '<img class="brand-logo" src="{}?v={}" alt=""><span class="brand-name">{}</span>',
            reverse("setup:logo"),
            row.logo.name.rsplit("/", 1)[-1],
            name,
        )
    return format_html('<span class="brand-name">{}</span>', name)


@register.inclusion_tag("setup/onboarding/_inbox.html", takes_context=True)
def onboarding_checklist(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    steps = onboarding.show_on_inbox(user, _row(context)) if user is not None else None
    return {
        "steps": steps or [],
        "steps_done": sum(step.done for step in steps or []),
        "csrf_token": context.get("csrf_token"),
    }
